import Foundation

/// Where and how to reach S3, read from the environment the way the AWS CLI and SDKs read it.
///
/// - `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (optional). When the key pair is
///   not in the environment, the `[AWS_PROFILE]` (default `default`) section of the shared credentials
///   file (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`) is read, as the CLI does.
/// - `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`.
/// - `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`: an S3-compatible store (MinIO, Ceph RGW, Garage,
///   moto). Without one, `https://s3.<region>.amazonaws.com`.
/// - `AWS_S3_ADDRESSING_STYLE` = `path` | `virtual` | `auto` (default `auto`: path-style with a custom
///   endpoint, virtual-hosted on AWS unless the bucket name holds a dot). Named after the AWS config
///   file's `addressing_style` setting.
/// - `AWS_CA_BUNDLE`: PEM file of CA certificates for a private CA. TLS is always verified.
/// - `AWS_REQUEST_CHECKSUM_CALCULATION` = `when_supported` (default) | `when_required`, as the AWS SDKs
///   and CLI read it: by default uploads carry S3's SHA-256 additional checksum (the digest the
///   signature needs anyway), which the store verifies and keeps with the object; `when_required`
///   sends the classic `Content-MD5` instead, for S3-compatible stores that refuse checksum headers.
///
/// Printing a configuration never shows the secret key or the session token.
package struct S3Configuration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    package enum AddressingStyle: String, Sendable { case auto, path, virtual }

    /// Which integrity checksum uploads carry (`AWS_REQUEST_CHECKSUM_CALCULATION`).
    package enum ChecksumCalculation: String, Sendable {
        /// S3's SHA-256 additional checksum on every PutObject and UploadPart (a composite SHA-256 for
        /// multipart objects): the store verifies each body against it and keeps it with the object.
        case whenSupported = "when_supported"
        /// `Content-MD5` only, as before additional checksums existed (stores that refuse them).
        case whenRequired = "when_required"
    }

    package struct Endpoint: Sendable, Hashable {
        package var scheme: String
        package var host: String
        package var port: Int?

        /// `host` or `host:port` as the Host header carries it (default ports omitted).
        package var authority: String {
            guard let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) else { return host }
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    package var credentials: SigV4Credentials
    package var region: String
    /// The custom endpoint, or nil for AWS.
    package var customEndpoint: Endpoint?
    package var addressingStyle: AddressingStyle
    package var caBundlePath: String?
    package var checksumCalculation: ChecksumCalculation

    package init(credentials: SigV4Credentials, region: String = "us-east-1", endpoint: String? = nil,
                 addressingStyle: AddressingStyle = .auto, caBundlePath: String? = nil,
                 checksumCalculation: ChecksumCalculation = .whenSupported) throws {
        self.credentials = credentials
        self.region = try Self.checkedRegion(region)
        self.customEndpoint = try endpoint.map(Self.parseEndpoint)
        self.addressingStyle = addressingStyle
        self.caBundlePath = caBundlePath
        self.checksumCalculation = checksumCalculation
    }

    /// Reads the settings from `environment` (default: the process environment).
    package init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ name: String) -> String? {
            guard let v = environment[name]?.trimmingSpaces(), !v.isEmpty else { return nil }
            return v
        }
        let credentials: SigV4Credentials
        if let id = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") {
            credentials = SigV4Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
        } else if value("AWS_ACCESS_KEY_ID") != nil || value("AWS_SECRET_ACCESS_KEY") != nil {
            throw S3Error(.configuration, "S3 credentials incomplete: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        } else if let fromFile = try Self.sharedCredentials(environment: environment) {
            credentials = fromFile
        } else {
            throw S3Error(.configuration, "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile in ~/.aws/credentials)")
        }
        let style: AddressingStyle
        if let raw = value("AWS_S3_ADDRESSING_STYLE") {
            guard let parsed = AddressingStyle(rawValue: raw.lowercased()) else {
                throw S3Error(.configuration, "invalid AWS_S3_ADDRESSING_STYLE '\(raw)': use path, virtual or auto")
            }
            style = parsed
        } else {
            style = .auto
        }
        let checksums: ChecksumCalculation
        if let raw = value("AWS_REQUEST_CHECKSUM_CALCULATION") {
            guard let parsed = ChecksumCalculation(rawValue: raw.lowercased()) else {
                throw S3Error(.configuration, "invalid AWS_REQUEST_CHECKSUM_CALCULATION '\(raw.prefix(64))': use when_supported or when_required")
            }
            checksums = parsed
        } else {
            checksums = .whenSupported
        }
        let endpointVariable = value("AWS_ENDPOINT_URL_S3") != nil ? "AWS_ENDPOINT_URL_S3" : "AWS_ENDPOINT_URL"
        do {
            try self.init(credentials: credentials, region: value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1",
                          endpoint: value(endpointVariable), addressingStyle: style, caBundlePath: value("AWS_CA_BUNDLE"),
                          checksumCalculation: checksums)
        } catch var error as S3Error where error.message.hasPrefix("invalid endpoint") {
            error.message = "invalid \(endpointVariable): " + error.message.dropFirst("invalid endpoint ".count)
            throw error
        }
        if let ca = caBundlePath, !FileManager.default.isReadableFile(atPath: ca) {
            throw S3Error(.configuration, "AWS_CA_BUNDLE '\(ca)' is not a readable file: point it at a PEM file of CA certificates")
        }
    }

    /// The scheme and authority requests go to, and whether the bucket is in the path.
    package func target(bucket: String) -> (scheme: String, authority: String, pathStyle: Bool) {
        let pathStyle: Bool
        switch addressingStyle {
        case .path: pathStyle = true
        case .virtual: pathStyle = false
        case .auto: pathStyle = customEndpoint != nil || bucket.contains(".")
        }
        let endpoint = customEndpoint ?? Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com", port: nil)
        return (endpoint.scheme, pathStyle ? endpoint.authority : "\(bucket).\(endpoint.authority)", pathStyle)
    }

    package var endpointDescription: String {
        guard let e = customEndpoint else { return "https://s3.\(region).amazonaws.com" }
        return "\(e.scheme)://\(e.authority)"
    }

    private var visibleFields: KeyValuePairs<String, Any> {
        ["accessKeyId": credentials.accessKeyId, "secretAccessKey": "<redacted>",
         "sessionToken": credentials.sessionToken == nil ? "not set" : "<redacted>", "region": region,
         "endpoint": endpointDescription, "addressingStyle": addressingStyle.rawValue, "caBundle": caBundlePath ?? "system",
         "checksums": checksumCalculation.rawValue]
    }

    package var description: String {
        "S3Configuration(" + visibleFields.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
    }
    package var debugDescription: String { description }
    package var customMirror: Mirror { Mirror(self, children: visibleFields, displayStyle: .struct) }

    // MARK: - parsing

    private static func checkedRegion(_ region: String) throws -> String {
        let ok = !region.isEmpty && region.utf8.count <= 64 && region.utf8.allSatisfy {
            ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45
        }
        guard ok else { throw S3Error(.configuration, "invalid AWS region '\(region.prefix(64))': use a name such as us-east-1") }
        return region
    }

    static func parseEndpoint(_ text: String) throws -> Endpoint {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw S3Error(.configuration, "invalid endpoint '\(text)': use a URL such as https://s3.example.com or http://127.0.0.1:9000")
        }
        guard scheme == "http" || scheme == "https" else {
            throw S3Error(.configuration, "invalid endpoint '\(text)': the scheme must be http or https")
        }
        guard components.user == nil, components.password == nil else {
            throw S3Error(.configuration, "invalid endpoint: it must not hold credentials (use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil else {
            throw S3Error(.configuration, "invalid endpoint '\(text)': only scheme, host and port are allowed (no path or query)")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw S3Error(.configuration, "invalid endpoint '\(text)': port \(port) is out of range 1-65535")
        }
        return Endpoint(scheme: scheme, host: host, port: components.port)
    }

    /// The `[profile]` section of the shared credentials file, if the file exists.
    private static func sharedCredentials(environment: [String: String]) throws -> SigV4Credentials? {
        let path = environment["AWS_SHARED_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["HOME"].map { $0 + "/.aws/credentials" }
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let profile = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        var section: String?
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = String(rawLine).trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingSpaces()
                continue
            }
            guard section == profile, let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq]).trimmingSpaces().lowercased()] = String(line[line.index(after: eq)...]).trimmingSpaces()
        }
        guard let id = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] else {
            if environment["AWS_PROFILE"] != nil {
                throw S3Error(.configuration, "profile '\(profile)' in \(path) has no aws_access_key_id / aws_secret_access_key")
            }
            return nil
        }
        return SigV4Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: values["aws_session_token"])
    }
}
