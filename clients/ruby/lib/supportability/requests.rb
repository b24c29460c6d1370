# frozen_string_literal: true

require "securerandom"

module Supportability
  # Turns what callers pass (a request message, or a Hash shaped like one) into a request message
  # with a request id. Hashes may use plain Ruby values, and Strings where a form would send them
  # (see HashMessage): `create_time` and `occur_time` as a Time or an ISO 8601 String,
  # `extra_features` values as Strings, numbers, booleans, nil, Arrays or Hashes, `disputes_30d: "2"`.
  # A nil value means the field is not given.
  module Requests
    module_function

    # A request of class `klass` with a request id: `given` is such a request, a Hash, or nil
    # (then `fields` is the Hash). The caller's message is left as it was, reusable for another call.
    def build(klass, given, fields)
      request = message(klass, given, fields)
      return request unless request.request_id.empty?

      request = request.dup
      request.request_id = SecureRandom.uuid
      request
    end

    # `given` as a `klass`: the message itself, or one built from a Hash (or nil and `fields`).
    def message(klass, given, fields)
      return given if given.is_a?(klass)
      unless given.nil? || given.is_a?(Hash)
        raise ArgumentError, "expected a #{klass.name} or a Hash, got #{given.class}"
      end

      from_hash(klass, given || {}, fields)
    end

    # A Hash that doesn't fit the message (unknown field or enum value, a value of the wrong type)
    # raises InvalidRequestError naming each offending field, as the service would for a bad value.
    def from_hash(klass, hash, fields)
      given = hash.to_h.merge(fields) # to_h: a HashWithIndifferentAccess keeps string keys
      request, violations = HashMessage.build(klass, given)
      return request if violations.empty?

      request_id = [given[:request_id], given["request_id"]].find { |id| id.is_a?(String) }
      raise InvalidRequestError.new("#{klass.descriptor.name.split('.').last} could not be built from the Hash",
                                    field_violations: violations, request_id: request_id)
    end
  end
end
