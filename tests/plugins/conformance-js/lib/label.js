export const label = 'js';
