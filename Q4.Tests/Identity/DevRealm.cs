using System.Text.Json;

namespace Q4.Tests.Identity;

/// <summary>The repository's realm file, read as plain JSON: what the provider is supposed to serve.</summary>
public static class DevRealm
{
    public static string Path { get; } = System.IO.Path.GetFullPath(System.IO.Path.Combine(
        System.IO.Path.GetDirectoryName(new Projects.Q4_DevIdentity().ProjectPath)!, "..", "deploy", "keycloak", "development", "q4-realm.json"));

    private static readonly Lazy<JsonElement> Root = new(() => JsonDocument.Parse(File.ReadAllText(Path)).RootElement.Clone());

    public static JsonElement Json => Root.Value;

    public static IEnumerable<JsonElement> Users => Json.GetProperty("users").EnumerateArray();

    public static IEnumerable<JsonElement> Clients => Json.GetProperty("clients").EnumerateArray();

    public static JsonElement User(string username) => Users.Single(u => u.GetProperty("username").GetString() == username);

    public static JsonElement Client(string clientId) => Clients.Single(c => c.GetProperty("clientId").GetString() == clientId);

    public static string IdOf(string username) => User(username).GetProperty("id").GetString()!;
}
