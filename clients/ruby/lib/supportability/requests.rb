# frozen_string_literal: true

require "securerandom"
require "time"
require "google/protobuf/well_known_types"

module Supportability
  # Turns what callers pass (a request message, or a Hash shaped like one) into a request message
  # with a request id. Hashes may use plain Ruby values where the contract has well-known types:
  # `create_time` as a Time (or ISO 8601 String) and `extra_features` values as Strings, numbers,
  # booleans, nil, Arrays or Hashes.
  module Requests
    module_function

    # `message` is a request of class `klass`, a Hash, or nil (then `fields` is the Hash). A Hash
    # that doesn't fit the message (unknown field or enum value, wrong type) raises
    # InvalidRequestError, as the service would for a bad value.
    def build(klass, message, fields)
      request = case message
                when klass then message
                when Hash, nil then from_hash(klass, message || {}, fields)
                else raise ArgumentError, "expected a #{klass.name} or a Hash, got #{message.class}"
                end
      return request unless request.request_id.empty?

      request = request.dup # the caller's message stays as it was, reusable for another call
      request.request_id = SecureRandom.uuid
      request
    end

    def from_hash(klass, message, fields)
      klass.new(**normalize(message, fields))
    rescue ArgumentError, RangeError, TypeError => e
      raise InvalidRequestError, "#{klass.name.split('::').last} could not be built from the Hash: #{e.message}"
    end

    def normalize(message, fields)
      hash = message.to_h.merge(fields).transform_keys(&:to_sym) # to_h: a HashWithIndifferentAccess keeps string keys
      hash[:support_case] = support_case(hash[:support_case]) if hash.key?(:support_case)
      hash[:support_cases] = hash[:support_cases].map { |c| support_case(c) } if hash.key?(:support_cases)
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

    def timestamp(value)
      case value
      when Google::Protobuf::Timestamp then value
      when String then Google::Protobuf::Timestamp.from_time(Time.iso8601(value))
      else Google::Protobuf::Timestamp.from_time(value.to_time)
      end
    end
  end
end
