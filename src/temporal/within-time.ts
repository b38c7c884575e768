/** What `withinTime` answers when the work took longer than allowed (it may still finish). */
export const LATE = Symbol('late');

/** The work's result, or LATE after `ms`: a request answers "still working" rather than hang. */
export async function withinTime<T>(work: Promise<T>, ms: number): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
