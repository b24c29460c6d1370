# frozen_string_literal: true

module Supportability
  # Builds a message from a Hash shaped like it, field by field as the message's descriptor
  # declares them, so that what a Rails form posts (every value a String) fits the contract: each
  # value is converted by its field's type (FieldValues). Repeated fields take an Array, or the
  # Hash of indexes that `cases[0][subject]` params make; map fields a Hash; message fields a Hash
  # or the message. A nil value is not given. Every value that still doesn't fit is a
  # FieldViolation named by its path from the top message, as the service names them
  # (e.g. "support_cases[1].account.disputes_30d", "support_case.extra_features[\"tier\"]").
  class HashMessage
    ABSENT = FieldValues::ABSENT

    # [the `klass` message built from `hash`, []], or [nil, the FieldViolations of what didn't fit].
    def self.build(klass, hash)
      builder = new
      message = builder.message(klass, hash, nil)
      builder.violations.empty? ? [message, []] : [nil, builder.violations]
    end

    attr_reader :violations

    def initialize
      @violations = []
    end

    def message(klass, value, path)
      return value if value.is_a?(klass)
      return violation(path, "expected a Hash or a #{klass.name}, got #{value.class}") unless value.is_a?(Hash)

      klass.new(**one_of_each_oneof(klass, fields(klass, value, path), path))
    rescue ArgumentError, RangeError, TypeError => e # a case the checks here don't foresee
      violation(path || klass.descriptor.name, e.message)
    end

    private

    # The keywords that build a `klass` from `hash`, each value converted.
    def fields(klass, hash, path)
      hash.each_with_object({}) do |(key, given), built|
        field = klass.descriptor.lookup(key.to_s)
        next violation(join(path, key), "unknown field of #{klass.descriptor.name}") unless field

        converted = given.nil? ? ABSENT : field_value(klass, field, given, join(path, field.name))
        built[field.name.to_sym] = converted unless converted.equal?(ABSENT)
      end
    end

    def field_value(klass, field, value, path)
      if map?(klass, field)
        map(field.subtype.lookup("value"), value, path)
      elsif field.label == :repeated
        items = list(value, path).each_with_index.map { |item, i| single(field, item, "#{path}[#{i}]") }
        items.reject { |item| item.equal?(ABSENT) }
      else
        single(field, value, path)
      end
    end

    def map?(klass, field)
      field.label == :repeated && field.type == :message && klass.new[field.name].is_a?(Google::Protobuf::Map)
    end

    def map(value_field, value, path)
      return violation(path, "expected a Hash, got #{value.class}") unless value.is_a?(Hash)

      value.to_h { |key, item| [key.to_s, single(value_field, item, "#{path}[\"#{key}\"]")] }
           .reject { |_, item| item.equal?(ABSENT) }
    end

    def list(value, path)
      return value if value.is_a?(Array)
      return value.sort_by { |index, _| index.to_s.to_i }.map(&:last) if rails_indexes?(value)

      violation(path, "expected an Array, got #{value.class}")
      []
    end

    def rails_indexes?(value)
      value.is_a?(Hash) && value.keys.all? { |key| key.to_s.match?(/\A\d+\z/) }
    end

    def single(field, value, path)
      if field.type == :message && !FieldValues.well_known?(field.subtype.msgclass)
        message(field.subtype.msgclass, value, path)
      else
        FieldValues.convert(field, value)
      end
    rescue FieldValues::Unfit => e
      violation(path, e.message)
    end

    # `fields` with one field of each oneof: protobuf would silently keep the last of two (e.g.
    # prediction_id and case_id), and the call would name another prediction.
    def one_of_each_oneof(klass, fields, path)
      klass.descriptor.each_oneof do |oneof|
        given = oneof.map(&:name).select { |name| fields.key?(name.to_sym) }
        next if given.size < 2

        violation(join(path, given.last), "give only one of #{given.join(', ')} (oneof #{oneof.name})")
        given.drop(1).each { |name| fields.delete(name.to_sym) }
      end
      fields
    end

    def join(path, name)
      path ? "#{path}.#{name}" : name.to_s
    end

    # Records the violation; returns ABSENT so that building goes on and finds the others.
    def violation(path, description)
      @violations << FieldViolation.new(path, description)
      ABSENT
    end
  end
end
