/** The Relay connection shape resolvers build: edges, page info, and a total computed only when asked for. */
import type { PageInfo } from '../generated/resolvers.js';

export interface Edge<Node> {
  cursor: string;
  node: Node;
}

export interface ConnectionNode<Node> {
  edges: Edge<Node>[];
  pageInfo: PageInfo;
  totalCount: () => number;
}
