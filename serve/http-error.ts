/** A request the server answers with a 4xx: the status, and a message naming what was wrong (and the field). */
export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string, readonly field?: string) {
    super(message);
  }
}

export const notFound = (message: string) => new HttpError(404, message);
export const badRequest = (message: string, field?: string) => new HttpError(400, message, field);
export const conflict = (message: string) => new HttpError(409, message);
