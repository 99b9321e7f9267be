/** Placeholder until the shadow writer lands: the mirror step is wired but sends nothing yet. */
import fp from 'fastify-plugin';
import type { GatewayPluginOptions } from './options';

export default fp<GatewayPluginOptions>(async () => {}, { name: 'shadowgate-mirror', dependencies: ['shadowgate-router'] });
