# frozen_string_literal: true

require "openssl"

# A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, signed by the CA and
# written as PEM files into `dir`.
module Certificates
  Files = Struct.new(:ca, :server_cert, :server_key, :client_cert, :client_key)

  module_function

  def write(dir)
    ca_key = OpenSSL::PKey::RSA.new(2048)
    ca = certificate("Supportability test CA", ca_key, ca_key, nil, ca: true)
    server_key = OpenSSL::PKey::RSA.new(2048)
    server = certificate("127.0.0.1", server_key, ca_key, ca, san: "IP:127.0.0.1,DNS:localhost")
    client_key = OpenSSL::PKey::RSA.new(2048)
    client = certificate("supportability-ruby-test-client", client_key, ca_key, ca)

    pems = { ca: ca.to_pem, server_cert: server.to_pem, server_key: server_key.to_pem,
             client_cert: client.to_pem, client_key: client_key.to_pem }
    Files.new(*pems.map do |name, pem|
      File.join(dir, "#{name}.pem").tap { |path| File.write(path, pem) }
    end)
  end

  def certificate(common_name, key, issuer_key, issuer, ca: false, san: nil)
    cert = OpenSSL::X509::Certificate.new
    cert.version = 2
    cert.serial = OpenSSL::BN.rand(64)
    cert.subject = OpenSSL::X509::Name.parse("/CN=#{common_name}")
    cert.issuer = issuer ? issuer.subject : cert.subject
    cert.public_key = key.public_key
    cert.not_before = Time.now - 60
    cert.not_after = Time.now + 3600
    extensions = OpenSSL::X509::ExtensionFactory.new(issuer || cert, cert)
    cert.add_extension(extensions.create_extension("basicConstraints", ca ? "CA:TRUE" : "CA:FALSE", true))
    key_usage = ca ? "keyCertSign,cRLSign" : "digitalSignature,keyEncipherment"
    cert.add_extension(extensions.create_extension("keyUsage", key_usage, true))
    cert.add_extension(extensions.create_extension("subjectAltName", san)) if san
    cert.sign(issuer_key, OpenSSL::Digest.new("SHA256"))
    cert
  end
end
