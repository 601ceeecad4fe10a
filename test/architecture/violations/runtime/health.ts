// runtime → serve: the runtime knows nothing of the server built on it
import type { server } from '../serve/server.js';
export type Health = typeof server;
