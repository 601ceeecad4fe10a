// grammar → cli: only tests import the command line
import { main } from '../cli/main.js';
export const messages = [main];
