// serving → training code, through an import of an import (the rule follows what a module reaches)
import { models } from '../model.js';
export const load = () => models;
