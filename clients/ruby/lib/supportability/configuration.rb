# frozen_string_literal: true

require "json"
require "logger"

module Supportability
  # What a Client needs to reach the service. Building or changing one opens nothing: TLS files are
  # read and the channel is created at the first call, in the process that makes it.
  #
  #   target          "host:port" of the service
  #   token           sent as `authorization: Bearer <token>` when set
  #   tls             true for TLS with the system's roots; implied by any tls_* option
  #   tls_ca          PEM (a path or the PEM text) of the CA that signed the server's certificate
  #   tls_cert/key    PEM (path or text) of this client's certificate and key, for mutual TLS
  #   deadline        seconds each unary call may take, retries included (default 5; never unset)
  #   stream_deadline seconds a StreamPredictCases call may stay open (default 300)
  #   retries         retry UNAVAILABLE per the contract's service config (default true)
  #   logger          a Logger for one line per call (debug) and per failure (warn); nil for none
  #   user_agent      prepended to the gem's own "supportability-ruby/<version>"
  #   instrumenter    called as instrumenter.call(event, payload) after each call; see Client
  #   channel_args    extra gRPC channel arguments, merged over the gem's
  #   connections     HTTP/2 connections each process opens, calls taking them in turn (default 1).
  #                   A server run with `--workers N` shares one port between N processes and the
  #                   kernel gives each connection to one of them: give several times N to spread
  #                   one process's calls over all of them (Puma's workers each have their own anyway)
  class Configuration
    SETTINGS = %i[target token tls tls_ca tls_cert tls_key deadline stream_deadline retries logger
                  user_agent instrumenter channel_args connections].freeze
    DEFAULTS = {
      target: "127.0.0.1:50051", tls: false, deadline: 5.0, stream_deadline: 300.0, retries: true,
      channel_args: {}.freeze, connections: 1
    }.freeze
    SERVICE_CONFIG_PATH = File.expand_path("v1/supportability_grpc_service_config.json", __dir__)

    attr_accessor(*SETTINGS)

    def initialize(**settings)
      DEFAULTS.merge(settings).each { |name, value| public_send("#{name}=", value) }
    end

    # A copy with `changes` applied, checked; the receiver is left alone.
    def with(**changes)
      unknown = changes.keys - SETTINGS
      raise ArgumentError, "unknown Supportability settings: #{unknown.join(', ')}" unless unknown.empty?

      copy = Configuration.new(**to_h.merge(changes))
      copy.validate!
      copy.freeze
    end

    def to_h
      SETTINGS.to_h { |name| [name, public_send(name)] }
    end

    def validate!
      raise ConfigurationError, "target is not set" if target.to_s.empty?

      [deadline, stream_deadline].each do |seconds|
        unless seconds.is_a?(Numeric) && seconds.positive?
          raise ConfigurationError, "deadlines are required and must be positive seconds, got #{seconds.inspect}"
        end
      end
      validate_connections!
      return if tls_cert.nil? == tls_key.nil?

      raise ConfigurationError, "mutual TLS needs both tls_cert and tls_key"
    end

    def tls?
      tls || !!(tls_ca || tls_cert)
    end

    # The channel arguments: the contract's service config (per-method timeouts and the retry
    # policy, which retries UNAVAILABLE only) and the switch that turns retries on or off.
    def grpc_channel_args
      args = {
        "grpc.service_config" => Configuration.service_config_json,
        "grpc.enable_retries" => retries ? 1 : 0,
        "grpc.primary_user_agent" => [user_agent, "supportability-ruby/#{VERSION}"].compact.join(" ")
      }
      # Channels with equal arguments share one connection (gRPC's global subchannel pool); a pool
      # of its own per channel gives each of them a connection of its own.
      args["grpc.use_local_subchannel_pool"] = 1 if connections > 1
      args.merge(channel_args)
    end

    # GRPC::Core::ChannelCredentials, or the insecure marker. Call only when creating the channel:
    # gRPC objects made in a process that later forks break the children (see ForkSafety).
    def grpc_credentials
      return :this_channel_is_insecure unless tls?

      GRPC::Core::ChannelCredentials.new(pem(tls_ca), pem(tls_key), pem(tls_cert))
    end

    def self.service_config_json
      @service_config_json ||= JSON.generate(JSON.parse(File.read(SERVICE_CONFIG_PATH)))
    end

    private

    def validate_connections!
      return if connections.is_a?(Integer) && connections.positive?

      raise ConfigurationError, "connections must be a positive Integer, got #{connections.inspect}"
    end

    # PEM given inline or as a path; nil stays nil (gRPC then uses its defaults).
    def pem(value)
      return nil if value.nil?

      value.include?("-----BEGIN") ? value : File.read(value)
    end
  end
end
