/** "1 minute", "2 minutes": a count and its noun, the noun in the plural unless the count is 1. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
