# frozen_string_literal: true

require "test_helper"

# The readers that readers.rb mixes into the generated messages must not take a name the message
# already answers. google-protobuf 3.21 answers field accessors through method_missing, so a reader
# named like a field silently replaces it; a reader named like a method of the class is silently
# ignored.
class ReadersTest < Minitest::Test
  # Each Readers module goes into the generated message of the same name.
  READERS = Supportability::Readers.constants.to_h do |name|
    [Supportability::Readers.const_get(name), Supportability::V1.const_get(name)]
  end

  def test_every_readers_module_is_mixed_into_its_message
    assert_equal 3, READERS.size
    READERS.each { |mod, klass| assert_includes klass.ancestors, mod, klass.name }
  end

  def test_no_reader_collides_with_a_generated_accessor_or_an_existing_method
    collisions = READERS.flat_map do |mod, klass|
      generated = generated_names(klass.descriptor)
      (mod.instance_methods(false) + mod.private_instance_methods(false)).filter_map do |name|
        why = collision(klass, mod, name, generated)
        "#{klass.name}##{name} from #{mod.name} #{why}" if why
      end
    end
    assert_empty collisions
  end

  private

  # What google-protobuf generates for each field and oneof (the _as_value and _const forms only
  # for wrapper and enum fields, but a reader of that name would mislead anyway).
  def generated_names(descriptor)
    names = descriptor.flat_map do |field|
      name = field.name
      [name, "#{name}=", "has_#{name}?", "clear_#{name}", "#{name}_as_value", "#{name}_as_value=", "#{name}_const"]
    end
    descriptor.each_oneof { |oneof| names.push(oneof.name, "has_#{oneof.name}?", "clear_#{oneof.name}") }
    names.map(&:to_sym)
  end

  def collision(klass, mod, name, generated)
    return "is a generated field or oneof accessor" if generated.include?(name)

    owner = (klass.ancestors - [mod]).find do |ancestor|
      ancestor.method_defined?(name, false) || ancestor.private_method_defined?(name, false)
    end
    return "is already defined by #{owner}" if owner

    # Whatever else the installed google-protobuf answers dynamically.
    "is answered by the message's method_missing" if klass.new.send(:respond_to_missing?, name, true)
  end
end
