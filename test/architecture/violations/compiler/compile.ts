// compiler → runtime, through a dynamic import
export const loadRuntime = () => import('../runtime/train.js');
