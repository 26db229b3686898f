/** Request bodies above this are refused with 413 before they are buffered, by every server here. */
export const MAX_BODY_BYTES = 1024 * 1024;
