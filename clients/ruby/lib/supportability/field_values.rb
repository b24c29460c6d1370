# frozen_string_literal: true

require "time"
require "google/protobuf/well_known_types"

module Supportability
  # Converts one value given for a scalar, enum, Timestamp or Value field into what protobuf takes,
  # by the field's type, accepting the Strings a form posts: "2" for an integer, "0.5" for a double,
  # "true"/"false" (and a check box's "1"/"0") for a bool, "CHANNEL_EMAIL" or "1" for an enum. A
  # blank String in any of those means the field is not given (ABSENT). A value that doesn't fit
  # raises Unfit, whose message says why.
  module FieldValues
    # A value that turned out to mean "not given".
    ABSENT = Object.new.freeze

    # The value doesn't fit the field; the message is the violation's description.
    class Unfit < StandardError; end

    INT32 = (-2**31)...(2**31)
    INT64 = (-2**63)...(2**63)
    INTEGER_RANGES = {
      int32: INT32, sint32: INT32, sfixed32: INT32, int64: INT64, sint64: INT64, sfixed64: INT64,
      uint32: 0...(2**32), fixed32: 0...(2**32), uint64: 0...(2**64), fixed64: 0...(2**64)
    }.freeze
    BOOLEANS = { true => true, false => false, "true" => true, "false" => false, "1" => true, "0" => false }.freeze

    module_function

    # `value` for `field` (a Google::Protobuf::FieldDescriptor of anything but a plain message).
    def convert(field, value)
      case field.type
      when :message then well_known(field.subtype.msgclass, value)
      when :enum then enum(field.subtype, value)
      when :bool then boolean(value)
      when :float, :double then number(value)
      when :string, :bytes then text(value)
      else integer(field.type, value)
      end
    end

    def well_known?(klass)
      [Google::Protobuf::Timestamp, Google::Protobuf::Value].include?(klass)
    end

    def well_known(klass, value)
      klass == Google::Protobuf::Timestamp ? timestamp(value) : plain_value(value)
    end

    def timestamp(value)
      case value
      when Google::Protobuf::Timestamp then value
      when String then Google::Protobuf::Timestamp.from_time(Time.iso8601(value))
      else Google::Protobuf::Timestamp.from_time(value.to_time)
      end
    rescue ArgumentError, NoMethodError
      raise Unfit, "not a time: #{value.inspect} (a Time or an ISO 8601 String such as 2026-11-02T09:15:00Z)"
    end

    def plain_value(value)
      value.is_a?(Google::Protobuf::Value) ? value : Google::Protobuf::Value.from_ruby(value)
    rescue Google::Protobuf::UnexpectedStructType, ArgumentError
      raise Unfit, "#{value.class} is not a JSON value (String, number, true/false, nil, Array or Hash)"
    end

    def enum(descriptor, value)
      return ABSENT if value == ""
      return value if value.is_a?(Integer)

      name = value.to_s.match?(/\A\d+\z/) ? descriptor.lookup_value(value.to_i) : descriptor.lookup_name(value.to_sym)
      name || raise(Unfit, "unknown value #{value.inspect} (one of #{choices(descriptor).join(', ')})")
    end

    # The values a caller chooses from: all but the *_UNSPECIFIED zero value.
    def choices(descriptor)
      descriptor.map { |name, number| name unless number.zero? }.compact
    end

    def boolean(value)
      return ABSENT if value == ""

      BOOLEANS.fetch(value) { raise Unfit, "must be true or false, got #{value.inspect}" }
    end

    def number(value)
      return ABSENT if value == ""
      return value if value.is_a?(Numeric)

      (value.is_a?(String) && Float(value, exception: false)) || raise(Unfit, "must be a number, got #{value.inspect}")
    end

    def integer(type, value)
      return ABSENT if value == ""

      number = value.is_a?(String) ? Integer(value, 10, exception: false) : whole(value)
      raise Unfit, "must be an integer, got #{value.inspect}" unless number.is_a?(Integer)
      raise Unfit, "#{number} is out of range for #{type}" unless INTEGER_RANGES.fetch(type).cover?(number)

      number
    end

    # 2.0 as 2, as protobuf itself takes it; anything else unchanged.
    def whole(value)
      value.is_a?(Float) && value.finite? && value == value.to_i ? value.to_i : value
    end

    def text(value)
      return value if value.is_a?(String)
      return value.to_s if value.is_a?(Symbol)

      raise Unfit, "must be a String, got #{value.inspect}"
    end
  end
end
