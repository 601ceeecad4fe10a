// lsp → runtime, through a dynamic import: the language server reads programs, it never trains them
export const train = async () => (await import('../runtime/train.js')).train;
