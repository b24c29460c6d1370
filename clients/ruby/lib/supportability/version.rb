# frozen_string_literal: true

module Supportability
  VERSION = "0.1.0"
end
