import type { Cost } from './capacity.ts';
import { CHAT_BACKEND_DEFAULTS } from '../../infra/cdk/chat-backend.ts';

/* The AWS bill for a message, from what the bench measured: list prices, billable quantities, scenarios. */

/** us-east-1 list prices given in the issue (USD). */
export const PRICES = {
  wsMessagePerMillion: 1.0,
  wsConnectionMinutePerMillion: 0.25,
  httpRequestPerMillion: 1.0,
  lambdaRequestPerMillion: 0.2,
  lambdaGbSecond: 0.0000133334,
  writeUnitPerMillion: 0.625,
  readUnitPerMillion: 0.125,
} as const;

/** What one message costs to handle, in billable quantities. */
export type MessageWork = {
  httpRequests: number;
  /** WebSocket messages: frames in (the send) and every PostToConnection out, each ≤ 32 KB. */
  wsMessages: number;
  lambdaInvocations: number;
  /** Billed duration of each invocation (rounded up to 1 ms, as Lambda bills). */
  lambdaMs: number;
  memoryMb: number;
  readUnits: number;
  writeUnits: number;
};

export type CostBreakdown = { api: number; lambda: number; dynamodb: number; total: number };

/** Dollars per million messages. */
export function costPerMillion(work: MessageWork): CostBreakdown {
  const api = work.httpRequests * PRICES.httpRequestPerMillion + work.wsMessages * PRICES.wsMessagePerMillion;
  const gbSeconds = work.lambdaInvocations * (Math.ceil(work.lambdaMs) / 1000) * (work.memoryMb / 1024);
  const lambda = work.lambdaInvocations * PRICES.lambdaRequestPerMillion + gbSeconds * 1e6 * PRICES.lambdaGbSecond;
  const dynamodb = work.readUnits * PRICES.readUnitPerMillion + work.writeUnits * PRICES.writeUnitPerMillion;
  return { api, lambda, dynamodb, total: api + lambda + dynamodb };
}

export type CostScenario = { name: string; work: MessageWork; perMillion: CostBreakdown; assumptions: string[] };

/** Every function's memory size, as the CDK stack deploys it. */
export const LAMBDA_MEMORY_MB = CHAT_BACKEND_DEFAULTS.functionMemoryMb;

/**
 * One message handled by a Lambda: the API charge (HTTP request, or WebSocket frames in and out), one invocation
 * billed for the measured handler duration, and the DynamoDB units the operation was measured to consume.
 */
export function messageScenario(name: string, input: { cost: Cost; handlerMs: number; httpRequests: number; wsMessages: number; assumptions: string[] }): CostScenario {
  const work: MessageWork = {
    httpRequests: input.httpRequests,
    wsMessages: input.wsMessages,
    lambdaInvocations: 1,
    lambdaMs: input.handlerMs,
    memoryMb: LAMBDA_MEMORY_MB,
    readUnits: input.cost.readUnits,
    writeUnits: input.cost.writeUnitsAws,
  };
  return { name, work, perMillion: costPerMillion(work), assumptions: input.assumptions };
}
