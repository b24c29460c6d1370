/**
 * The Java client of the Supportability prediction service.
 *
 * <p>Start with {@link dev.supportability.client.SupportabilityClient#builder()}. Requests and
 * responses are the classes generated from the contract, in {@code dev.supportability.v1}; errors
 * are {@link dev.supportability.client.SupportabilityException} and its subclasses; {@link
 * dev.supportability.client.CallListener} feeds metrics.
 */
package dev.supportability.client;
