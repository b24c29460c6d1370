# frozen_string_literal: true

require "test_helper"
require "support/cases"
require "support/certificates"
require "support/python_server"

# Bearer tokens, TLS and mutual TLS against the real service (two servers: TLS with tokens, and
# mutual TLS).
class SecurityTest < Minitest::Test
  def teardown
    @clients&.each(&:close)
    @server&.stop
  end

  def client(**settings)
    (@clients ||= []) << Supportability::Client.new(target: @server.target, **settings)
    @clients.last
  end

  def test_tls_with_bearer_tokens
    certificates = nil
    @server = PythonServer.start do |dir|
      certificates = Certificates.write(dir)
      File.write(File.join(dir, "tokens"), "other-token\ns3cret-token\n")
      ["--tls-cert", certificates.server_cert, "--tls-key", certificates.server_key,
       "--token-file", File.join(dir, "tokens")]
    end
    assert client(tls_ca: certificates.ca, token: "s3cret-token").predict_case(support_case: Cases.payout).top_queue

    [nil, "wrong-token"].each do |token|
      error = assert_raises(Supportability::AuthenticationError) do
        client(tls_ca: certificates.ca, token: token).predict_case(support_case: Cases.payout)
      end
      assert_equal "UNAUTHENTICATED", error.reason
      assert error.caller_fault?
    end

    plaintext = client(token: "s3cret-token", retries: false, deadline: 3)
    assert_raises(Supportability::UnavailableError) { plaintext.predict_case(support_case: Cases.payout) }
  end

  def test_mutual_tls_with_pem_strings
    certificates = nil
    @server = PythonServer.start do |dir|
      certificates = Certificates.write(dir)
      ["--tls-cert", certificates.server_cert, "--tls-key", certificates.server_key,
       "--tls-client-ca", certificates.ca]
    end
    mutual = client(tls_ca: File.read(certificates.ca), tls_cert: File.read(certificates.client_cert),
                    tls_key: File.read(certificates.client_key))
    assert mutual.predict_case(support_case: Cases.payout).top_queue

    no_client_certificate = client(tls_ca: certificates.ca, retries: false, deadline: 3)
    assert_raises(Supportability::UnavailableError) { no_client_certificate.predict_case(support_case: Cases.payout) }
  end
end
