export const keywords = ['task'];
