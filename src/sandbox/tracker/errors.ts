/** An API failure rendered as Tracker's error body `{errors, errorMessages, statusCode}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly messages: string[],
    readonly fieldErrors: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(messages[0] ?? Object.values(fieldErrors)[0] ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }

  body(): { errors: Record<string, string>; errorMessages: string[]; statusCode: number } {
    return { errors: this.fieldErrors, errorMessages: this.messages, statusCode: this.status };
  }
}

export const notFound = (what: string): ApiError => new ApiError(404, [`${what} не найден(а)`]);

export const validationError = (errors: Record<string, string>): ApiError => new ApiError(422, [], errors);
