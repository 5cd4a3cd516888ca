using System.Security.Cryptography;
using Q4.DevIdentity.Keys;

namespace Q4.Tests.Identity;

/// <summary>The provider's key file on its own, in a folder of the test's: created once, then always the same key.</summary>
public sealed class SigningKeyFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("q4-keys-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_new_key_is_written_owner_only_and_loads_as_the_same_key_with_the_same_kid()
    {
        var path = Path.Combine(_directory, "nested", "signing-key.pem");

        var created = RsaKeyFile.LoadOrCreate(path);

        Assert.True(File.Exists(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path)); // PKCS#8
        Assert.Equal(2048, created.Rsa.KeySize);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));

        var loadedAgain = RsaKeyFile.LoadOrCreate(path);
        var loadedPlain = RsaKeyFile.Load(path);
        Assert.Equal(created.Rsa.ExportParameters(false).Modulus, loadedAgain.Rsa.ExportParameters(false).Modulus);
        Assert.Equal(created.KeyId, loadedAgain.KeyId);
        Assert.Equal(created.KeyId, loadedPlain.KeyId);

        // Private halves match too: what one signs, the other verifies.
        var data = "bid 42"u8.ToArray();
        var signature = created.Rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Assert.True(loadedAgain.Rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void The_kid_is_the_rfc7638_thumbprint_of_the_public_key()
    {
        var key = RsaKeyFile.LoadOrCreate(Path.Combine(_directory, "signing-key.pem"));
        var parameters = key.Rsa.ExportParameters(false);
        // RFC 7638: SHA-256 of {"e":..,"kty":"RSA","n":..} with members in that order, no whitespace.
        var canonical = $$"""{"e":"{{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(parameters.Exponent)}}","kty":"RSA","n":"{{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(parameters.Modulus)}}"}""";
        var expected = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)));
        Assert.Equal(expected, key.KeyId);
    }

    [Fact]
    public void Two_keys_in_two_folders_differ()
    {
        var first = RsaKeyFile.LoadOrCreate(Path.Combine(_directory, "a", "signing-key.pem"));
        var second = RsaKeyFile.LoadOrCreate(Path.Combine(_directory, "b", "signing-key.pem"));
        Assert.NotEqual(first.KeyId, second.KeyId);
    }

    [Fact]
    public void A_damaged_key_file_is_reported_with_its_path()
    {
        var path = Path.Combine(_directory, "signing-key.pem");
        File.WriteAllText(path, "not a key");

        var error = Assert.Throws<KeyFileException>(() => RsaKeyFile.LoadOrCreate(path));
        Assert.Contains(path, error.Message);
        Assert.Equal("not a key", File.ReadAllText(path)); // never silently replaced: tokens signed with it would die
    }
}
