import ArgumentParser
import Foundation
import LentuneCore
import LentunePersistence
import Vapor

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users.", subcommands: [Create.self, Token.self])

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API token for a user (for Authorization: Bearer …); prints it once.",
            discussion: """
                Example:
                  lentune user token --email ann@harbour.example --name "ERP export"
                """)

        @ArgumentParser.Option(help: "The user's email.") var email: String
        @ArgumentParser.Option(help: "What the token is for.") var name = "API"

        func run() async throws {
            _ = bootstrapLogging
            let config = loadConfig()
            let database = try LentuneDatabase(location: config.database)
            do {
                try await database.migrate()
                guard let user = try await Accounts.user(email: email, on: database.db) else {
                    throw ValidationError("No user has the email \(email).")
                }
                let token = APITokens.make()
                try await Accounts.createAPIToken(user: user.domain.id, tokenHash: APITokens.hash(token), name: name, on: database.db)
                printNow(token)
            } catch {
                await database.shutdown()
                throw error
            }
            await database.shutdown()
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user; the organisation is created if it does not exist. Reads the password from stdin.",
            discussion: """
                Roles: administrator, ap_officer, approver, auditor.

                Example:
                  printf '%s\\n' 'correct horse battery' | \\
                    lentune user create --org "Harbour Build Ltd" --email ann@harbour.example --role administrator
                """)

        @ArgumentParser.Option(help: "Organisation name.") var org: String
        @ArgumentParser.Option(help: "Email address (the sign-in name).") var email: String
        @ArgumentParser.Option(help: "administrator, ap_officer, approver or auditor.") var role: String
        @ArgumentParser.Option(help: "Display name (defaults to the email).") var name: String?
        @ArgumentParser.Option(help: "Auto-approval limit for purchase orders, e.g. 5000.") var approvalLimit: String = "0"

        func validate() throws {
            guard Role(rawValue: role) != nil else {
                throw ValidationError("--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard User.isPlausible(email: User.normalise(email: email)) else {
                throw ValidationError("--email “\(email)” is not a valid email address")
            }
            guard Money.parse(approvalLimit).map({ $0 >= 0 }) == true else {
                throw ValidationError("--approval-limit must be a non-negative amount")
            }
        }

        func run() async throws {
            _ = bootstrapLogging
            guard let password = readLine(strippingNewline: true), password.count >= 8 else {
                throw ValidationError("Give a password of at least 8 characters on standard input.")
            }
            let config = loadConfig()
            let hash = try Bcrypt.hash(password, cost: config.passwordCost)
            let database = try LentuneDatabase(location: config.database)
            do {
                try await database.migrate()
                let organisation = try await Accounts.organisation(named: org, on: database.db)
                let user = try await Accounts.createUser(
                    organisation: organisation.domain.id, email: email, name: name ?? email, role: Role(rawValue: role)!,
                    passwordHash: hash, approvalLimit: Money.parse(approvalLimit) ?? 0, on: database.db)
                print("Created \(user.role.title) \(user.email) in \(organisation.name).")
            } catch let error as Accounts.Error {
                await database.shutdown()
                throw ValidationError(error.description)
            } catch {
                await database.shutdown()
                throw error
            }
            await database.shutdown()
        }
    }
}
