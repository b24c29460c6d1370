# frozen_string_literal: true

require "test_helper"
require "generators/supportability/install/install_generator"

class InstallGeneratorTest < Rails::Generators::TestCase
  tests Supportability::Generators::InstallGenerator
  destination Rails.root.join("tmp/generator_test")
  setup :prepare_destination

  test "writes the initializer this app uses" do
    run_generator
    assert_file "config/initializers/supportability.rb", Rails.root.join("config/initializers/supportability.rb").read
  end

  test "--target sets the fallback target" do
    run_generator ["--target=models.internal:443"]
    assert_file "config/initializers/supportability.rb", /setting.call\(:target\) \|\| "models.internal:443"/
  end
end
