import ArgumentParser
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync

struct ProcoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "procore", abstract: "Procore connection chores for scripted deployments.", subcommands: [Connect.self])

    struct Connect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save an organisation's Procore connection (client secret from stdin), test it, print the company list.",
            discussion: """
                The same as Connection settings › Save and Test connection, acting as the given administrator (audited).

                Example:
                  printf '%s\\n' "$PROCORE_CLIENT_SECRET" | lentune procore connect --admin ann@harbour.example \\
                    --client-id abc123 --environment production
                """)

        @ArgumentParser.Option(help: "An administrator's email (the change is audited as theirs).") var admin: String
        @ArgumentParser.Option(help: "The client id from the Procore Developer Portal.") var clientID: String
        @ArgumentParser.Option(help: "production, developer_sandbox or custom.") var environment = "production"
        @ArgumentParser.Option(help: "custom only: the auth base URL.") var authBaseURL: String?
        @ArgumentParser.Option(help: "custom only: the API base URL.") var apiBaseURL: String?
        @ArgumentParser.Option(help: "client_credentials or authorization_code.") var grantType = "client_credentials"
        @ArgumentParser.Option(help: "Optional Procore company id sent with requests.") var companyID: Int64?

        func run() async throws {
            _ = bootstrapLogging
            let config = loadConfig()
            let secret = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces) ?? ""
            let target: ProcoreEnvironment
            switch environment {
            case "production": target = .production
            case "developer_sandbox": target = .developerSandbox
            case "custom":
                guard let auth = authBaseURL.flatMap(URL.init(string:)), let api = apiBaseURL.flatMap(URL.init(string:)) else {
                    throw ValidationError("custom needs --auth-base-url and --api-base-url (https, or http to this machine in development).")
                }
                for url in [auth, api] {
                    if let refusal = OutboundPolicy.check(url: url, allowLoopback: config.allowLoopbackProcore) {
                        throw ValidationError("\(url.absoluteString) is not allowed: \(refusal.reason).")
                    }
                }
                target = .custom(authBaseURL: auth, apiBaseURL: api)
            default: throw ValidationError("--environment must be production, developer_sandbox or custom.")
            }
            guard let grant = ProcoreGrantType(rawValue: grantType) else {
                throw ValidationError("--grant-type must be client_credentials or authorization_code.")
            }
            guard !clientID.isEmpty, clientID.count <= 200, !InputRules.hasForbiddenControlCharacter(clientID + secret) else {
                throw ValidationError("--client-id must be 1 to 200 characters, and neither it nor the secret may hold control characters.")
            }
            if let companyID, companyID <= 0 { throw ValidationError("--company-id must be a Procore company id.") }
            let database = try LentuneDatabase(location: config.database)
            do {
                guard let user = try await Accounts.user(email: admin, on: database.db)?.domain, user.role == .administrator else {
                    throw ValidationError("\(admin) is not an administrator.")
                }
                let secrets = try SecretBox(base64Key: config.secretKey)
                let connection = try await ProcoreSettings.saveConnection(
                    .init(environment: target, clientID: clientID, clientSecret: secret.isEmpty ? nil : secret, grantType: grant,
                          redirectURI: nil, serviceCompanyID: companyID),
                    organisation: user.organisationID, actor: user, secrets: secrets, now: Date(), on: database.db)
                guard connection.sealedClientSecret != nil else { throw ValidationError("Send the client secret on stdin.") }
                switch await ProcoreConnector(secrets: secrets, allowLoopback: config.allowLoopbackProcore).test(connection, serviceCompany: companyID, on: database.db) {
                case .success(let outcome):
                    printNow("Connected to Procore as \(outcome.user). Procore company list:")
                    for company in outcome.companies { printNow("  \(company.id)  \(company.name)") }
                case .failure(let failure):
                    printNow("Saved, but Procore refused the connection: \(failure.description)")
                    throw ExitCode(3)
                }
            } catch {
                await database.shutdown()
                throw error
            }
            await database.shutdown()
        }
    }
}
