import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs (CloudWatch on AWS, the terminal locally). Never log tokens, passwords or bodies:
 * only ids, routes, codes and timings.
 */
export const logger = new Logger({ serviceName: 'chat-backend', logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO' });
