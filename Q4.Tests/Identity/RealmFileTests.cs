using System.Text.Json;

namespace Q4.Tests.Identity;

/// <summary>
/// The realm file is also imported by a real Keycloak, so it must stay in Keycloak's export format and hold what
/// Q4 relies on: users with fixed ids, the three clients and their flows.
/// </summary>
public sealed class RealmFileTests
{
    [Fact]
    public void The_realm_is_q4_with_a_15_minute_access_token_and_the_two_roles()
    {
        var realm = DevRealm.Json;
        Assert.Equal("q4", realm.GetProperty("realm").GetString());
        Assert.True(realm.GetProperty("enabled").GetBoolean());
        Assert.Equal(900, realm.GetProperty("accessTokenLifespan").GetInt32());
        Assert.True(realm.GetProperty("ssoSessionIdleTimeout").GetInt32() > 0);
        Assert.Equal(["admin", "user"], realm.GetProperty("roles").GetProperty("realm").EnumerateArray()
            .Select(r => r.GetProperty("name").GetString()).Order());
    }

    [Fact]
    public void Every_user_has_a_fixed_uuid_a_dev_password_and_known_roles()
    {
        var users = DevRealm.Users.ToList();
        var names = users.Select(u => u.GetProperty("username").GetString()!).ToList();
        Assert.Equal(204, users.Count);
        Assert.All(["alice", "bob", "carol", "admin", "bidder001", "bidder200"], expected => Assert.Contains(expected, names));
        Assert.Equal(users.Count, users.Select(u => u.GetProperty("id").GetString()).Distinct().Count());
        Assert.Equal(users.Count, names.Distinct().Count());

        foreach (var user in users)
        {
            var name = user.GetProperty("username").GetString()!;
            Assert.True(Guid.TryParse(user.GetProperty("id").GetString(), out _), $"{name}: id is not a UUID");
            Assert.True(user.GetProperty("enabled").GetBoolean());
            Assert.Equal($"{name}@q4.example", user.GetProperty("email").GetString());
            Assert.False(string.IsNullOrWhiteSpace(user.GetProperty("firstName").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(user.GetProperty("lastName").GetString()));
            var credential = Assert.Single(user.GetProperty("credentials").EnumerateArray());
            Assert.Equal("password", credential.GetProperty("type").GetString());
            Assert.Equal("dev-password", credential.GetProperty("value").GetString());
            Assert.False(credential.GetProperty("temporary").GetBoolean());
            var roles = user.GetProperty("realmRoles").EnumerateArray().Select(r => r.GetString()).ToList();
            Assert.Equal(name == "admin" ? ["user", "admin"] : ["user"], roles);
        }
    }

    [Fact]
    public void The_clients_allow_exactly_their_flows_and_put_q4_api_in_the_audience()
    {
        var frontend = DevRealm.Client("q4-frontend");
        Assert.False(frontend.GetProperty("publicClient").GetBoolean());
        Assert.Equal("q4-frontend-dev-secret", frontend.GetProperty("secret").GetString());
        Assert.True(frontend.GetProperty("standardFlowEnabled").GetBoolean());
        Assert.False(frontend.GetProperty("directAccessGrantsEnabled").GetBoolean());
        Assert.Equal(["http://localhost:5180/signin-oidc"], frontend.GetProperty("redirectUris").EnumerateArray().Select(u => u.GetString()));
        Assert.Equal("S256", frontend.GetProperty("attributes").GetProperty("pkce.code.challenge.method").GetString());
        Assert.Equal("http://localhost:5180/signout-callback-oidc",
            frontend.GetProperty("attributes").GetProperty("post.logout.redirect.uris").GetString());

        var api = DevRealm.Client("q4-api");
        foreach (var flow in new[] { "standardFlowEnabled", "implicitFlowEnabled", "directAccessGrantsEnabled", "serviceAccountsEnabled" })
        {
            Assert.False(api.GetProperty(flow).GetBoolean(), $"q4-api must not allow {flow}");
        }

        var cli = DevRealm.Client("q4-cli");
        Assert.True(cli.GetProperty("publicClient").GetBoolean());
        Assert.True(cli.GetProperty("directAccessGrantsEnabled").GetBoolean());
        Assert.False(cli.GetProperty("standardFlowEnabled").GetBoolean());

        foreach (var client in new[] { frontend, cli })
        {
            var mapper = Assert.Single(client.GetProperty("protocolMappers").EnumerateArray(),
                m => m.GetProperty("protocolMapper").GetString() == "oidc-audience-mapper");
            Assert.Equal("q4-api", mapper.GetProperty("config").GetProperty("included.client.audience").GetString());
            Assert.Equal("true", mapper.GetProperty("config").GetProperty("access.token.claim").GetString());
        }
    }

    [Fact]
    public void The_file_is_pretty_printed_json_with_nothing_keycloak_would_not_know()
    {
        var text = File.ReadAllText(DevRealm.Path);
        Assert.Contains("\n  \"realm\": \"q4\"", text);
        using var document = JsonDocument.Parse(text); // strict JSON: no comments, no trailing commas
        var known = new[] { "realm", "displayName", "enabled", "sslRequired", "registrationAllowed", "loginWithEmailAllowed",
            "accessTokenLifespan", "ssoSessionIdleTimeout", "ssoSessionMaxLifespan", "roles", "clients", "users" };
        Assert.All(document.RootElement.EnumerateObject(), property => Assert.Contains(property.Name, known));
    }
}
