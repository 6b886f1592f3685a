import Foundation
@testable import ProcoreSandbox
import Testing

@Suite struct OAuthTests {
    @Test func clientCredentials_issuesTokenWithoutRefresh() async throws {
        try await SandboxHarness.with { h in
            let reply = try await h.form("/oauth/token", [
                "grant_type": "client_credentials", "client_id": SandboxHarness.clientID, "client_secret": SandboxHarness.clientSecret,
            ])
            #expect(reply.status == 200)
            #expect(reply.json["token_type"] == "bearer")
            #expect(reply.json["expires_in"] == .int(5400))
            #expect(reply.json["refresh_token"] == nil)
            #expect(reply.json["created_at"]?.int != nil)
        }
    }

    @Test func token_refusesBadClientsAndGrants() async throws {
        try await SandboxHarness.with { h in
            let wrongSecret = try await h.form("/oauth/token", [
                "grant_type": "client_credentials", "client_id": SandboxHarness.clientID, "client_secret": "nope",
            ])
            #expect(wrongSecret.status == 401)
            #expect(wrongSecret.json["error"] == "invalid_client")
            let badGrant = try await h.form("/oauth/token", [
                "grant_type": "password", "client_id": SandboxHarness.clientID, "client_secret": SandboxHarness.clientSecret,
            ])
            #expect(badGrant.status == 400)
            #expect(badGrant.json["error"] == "unsupported_grant_type")
            let missing = try await h.form("/oauth/token", ["client_id": SandboxHarness.clientID])
            #expect(missing.status == 400)
            #expect(missing.json["error"] == "invalid_request")
        }
    }

    @Test func authorizationCode_thenSingleUseRotatingRefreshTokens() async throws {
        try await SandboxHarness.with { h in
            let redirect = "http://127.0.0.1:9/callback"
            let page = try await h.send(
                .GET, "/oauth/authorize?response_type=code&client_id=\(SandboxHarness.clientID)&redirect_uri=\(redirect)&state=xyz")
            #expect(page.status == 200)
            #expect(page.text.contains("id=\"authorize\""))
            let consent = try await h.form("/oauth/authorize", [
                "client_id": SandboxHarness.clientID, "redirect_uri": redirect, "state": "xyz", "decision": "allow",
            ])
            #expect(consent.status == 303)
            let location = try #require(consent.header("Location"))
            let items = URLComponents(string: location)?.queryItems ?? []
            #expect(items.first { $0.name == "state" }?.value == "xyz")
            let code = try #require(items.first { $0.name == "code" }?.value)

            let first = try await h.form("/oauth/token", [
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
                "client_id": SandboxHarness.clientID, "client_secret": SandboxHarness.clientSecret,
            ])
            #expect(first.status == 200)
            let refresh = try #require(first.json["refresh_token"]?.string)
            // The code is single-use.
            let reused = try await h.form("/oauth/token", [
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
                "client_id": SandboxHarness.clientID, "client_secret": SandboxHarness.clientSecret,
            ])
            #expect(reused.json["error"] == "invalid_grant")

            let rotated = try await h.form("/oauth/token", [
                "grant_type": "refresh_token", "refresh_token": refresh,
                "client_id": SandboxHarness.clientID, "client_secret": SandboxHarness.clientSecret,
            ])
            #expect(rotated.status == 200)
            let newRefresh = try #require(rotated.json["refresh_token"]?.string)
            #expect(newRefresh != refresh)
            let replay = try await h.form("/oauth/token", [
                "grant_type": "refresh_token", "refresh_token": refresh,
                "client_id": SandboxHarness.clientID, "client_secret": SandboxHarness.clientSecret,
            ])
            #expect(replay.status == 400)
            #expect(replay.json["error"] == "invalid_grant")
        }
    }

    @Test func authorize_rejectsUnregisteredRedirect() async throws {
        try await SandboxHarness.with { h in
            let page = try await h.send(
                .GET, "/oauth/authorize?response_type=code&client_id=\(SandboxHarness.clientID)&redirect_uri=http://evil.example/cb")
            #expect(page.status == 400)
        }
    }

    @Test func expiredAndRevokedTokens_get401() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            #expect(try await h.api(.GET, "/rest/v1.0/me", token: token).status == 200)
            let info = try await h.send(.GET, "/oauth/token/info", headers: [("Authorization", "Bearer \(token)")])
            #expect(info.json["application"]?["uid"] == .string(SandboxHarness.clientID))
            #expect((info.json["expires_in_seconds"]?.int ?? 0) > 5000)

            _ = try await h.admin(.POST, "/tokens/expire")
            let expired = try await h.api(.GET, "/rest/v1.0/me", token: token)
            #expect(expired.status == 401)
            #expect(expired.json["errors"] == "The access token is invalid")

            let second = try await h.token()
            _ = try await h.form("/oauth/revoke", [
                "token": second, "client_id": SandboxHarness.clientID, "client_secret": SandboxHarness.clientSecret,
            ])
            #expect(try await h.api(.GET, "/rest/v1.0/me", token: second).status == 401)
            #expect(try await h.api(.GET, "/rest/v1.0/me", token: "garbage").status == 401)
        }
    }

    @Test func tokenLifetime_followsSettings() async throws {
        var settings = SandboxSettings()
        settings.tokenLifetime = 120
        try await SandboxHarness.with(settings: settings) { h in
            let reply = try await h.form("/oauth/token", [
                "grant_type": "client_credentials", "client_id": SandboxHarness.clientID, "client_secret": SandboxHarness.clientSecret,
            ])
            #expect(reply.json["expires_in"] == .int(120))
        }
    }
}
