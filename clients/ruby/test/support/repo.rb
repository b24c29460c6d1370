# frozen_string_literal: true

require "pathname"

# The repository root: $SUPPORTABILITY_ROOT, else the nearest directory above this one holding buf.yaml.
module Repo
  def self.root
    @root ||= if ENV["SUPPORTABILITY_ROOT"]
                Pathname(ENV["SUPPORTABILITY_ROOT"]).expand_path
              else
                Pathname(__dir__).ascend.find { |dir| (dir / "buf.yaml").file? } or
                  raise "no buf.yaml above #{__dir__}; set SUPPORTABILITY_ROOT"
              end
  end
end
