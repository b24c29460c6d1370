package dev.supportability.client;

/**
 * One invalid field of a request, from the service's {@code google.rpc.BadRequest} detail.
 *
 * @param field the path of the field, for example {@code "support_case.account.disputes_30d"} or
 *     {@code "support_cases[3].subject"}
 * @param description why the value was rejected
 */
public record FieldViolation(String field, String description) {}
