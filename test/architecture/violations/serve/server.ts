// serve → compiler: the model server loads packages, it never compiles a program
import { loadRuntime } from '../compiler/compile.js';
export const server = { loadRuntime };
