// DOM helpers shared by every screen.

export const $ = (id) => document.getElementById(id);

/** A DOM element from properties (dataset merged, not assigned) and children; text always goes in as text. */
export function el(tag, { dataset, ...props } = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
