/**
 * Funqy adapters shared by every deployable: {@link io.maaskit.functions.ModelFunctions} (one
 * method per route, delegating to core services), {@link io.maaskit.functions.MaasConfig} (all
 * settings) and {@link io.maaskit.functions.ErrorMapper} (core errors → status codes, once).
 */
package io.maaskit.functions;
