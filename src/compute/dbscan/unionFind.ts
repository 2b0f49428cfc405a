// Union-find over an Int32Array of parents, for DBSCAN's connected components of core points.

/** union-find root with path halving */
export function find(parent: Int32Array, a: number): number {
  while (parent[a] !== a) {
    const g = parent[parent[a]];
    parent[a] = g;
    a = g;
  }
  return a;
}

/** links the two sets; the smaller root index becomes the root (any rule works, this one is deterministic) */
export function union(parent: Int32Array, a: number, b: number): void {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra < rb) parent[rb] = ra;
  else if (rb < ra) parent[ra] = rb;
}
