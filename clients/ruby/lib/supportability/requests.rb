# frozen_string_literal: true

require "securerandom"
require "time"
require "google/protobuf/well_known_types"

module Supportability
  # Turns what callers pass (a request message, or a Hash shaped like one) into a request message
  # with a request id. Hashes may use plain Ruby values where the contract has well-known types:
  # `create_time` and `occur_time` as a Time (or ISO 8601 String) and `extra_features` values as
  # Strings, numbers, booleans, nil, Arrays or Hashes. A nil value means the field is not given.
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

    # A Hash that doesn't fit the message (unknown field or enum value, wrong type) raises
    # InvalidRequestError, as the service would for a bad value.
    def from_hash(klass, hash, fields)
      klass.new(**one_target(klass, normalize(hash, fields)))
    rescue ArgumentError, RangeError, TypeError => e
      raise InvalidRequestError, "#{klass.name.split('::').last} could not be built from the Hash: #{e.message}"
    end

    # The request fields whose messages a Hash may give with plain Ruby values, and what builds each.
    MESSAGE_FIELDS = { support_case: :support_case, outcome: :outcome }.freeze
    REPEATED_FIELDS = { support_cases: :support_case, outcomes: :outcome }.freeze

    def normalize(given, fields)
      hash = given.to_h.merge(fields).transform_keys(&:to_sym) # to_h: a HashWithIndifferentAccess keeps string keys
      MESSAGE_FIELDS.each { |name, build| hash[name] = public_send(build, hash[name]) if hash.key?(name) }
      REPEATED_FIELDS.each do |name, build|
        hash[name] = hash[name].map { |value| public_send(build, value) } if hash.key?(name)
      end
      hash
    end

    def support_case(value)
      return value unless value.is_a?(Hash)

      hash = value.to_h.transform_keys(&:to_sym)
      hash[:create_time] = timestamp(hash[:create_time]) if hash[:create_time]
      if hash[:extra_features]
        hash[:extra_features] = hash[:extra_features].to_h do |name, feature|
          [name.to_s, feature.is_a?(Google::Protobuf::Value) ? feature : Google::Protobuf::Value.from_ruby(feature)]
        end
      end
      V1::SupportCase.new(**hash)
    end

    def outcome(value)
      return value unless value.is_a?(Hash)

      hash = value.to_h.transform_keys(&:to_sym)
      hash[:occur_time] = timestamp(hash[:occur_time]) if hash[:occur_time]
      V1::Outcome.new(**one_target(V1::Outcome, hash))
    end

    # `hash`, checked to set at most one field of each oneof of `klass` (e.g. prediction_id or
    # case_id): protobuf would silently keep the last one, and the call would name another prediction.
    def one_target(klass, hash)
      klass.descriptor.each_oneof do |oneof|
        given = oneof.map(&:name).reject { |name| hash[name.to_sym].nil? }
        raise ArgumentError, "give only one of #{given.join(', ')} (oneof #{oneof.name})" if given.size > 1
      end
      hash
    end

    def timestamp(value)
      case value
      when Google::Protobuf::Timestamp then value
      when String then Google::Protobuf::Timestamp.from_time(Time.iso8601(value))
      else Google::Protobuf::Timestamp.from_time(value.to_time)
      end
    end
  end
end
