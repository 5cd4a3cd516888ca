using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Q4.DevIdentity.Keys;

/// <summary>
/// An RSA private key kept as a PKCS#8 PEM file, created on first use. Keeping it means tokens issued before a
/// restart stay valid and clients' cached JWKS stay right; the tests also read it to sign tokens of their own.
/// </summary>
public static class RsaKeyFile
{
    private const int KeySize = 2048;

    /// <summary>Loads the key at <paramref name="path"/>, creating it (mode 600) when there is none yet.</summary>
    public static RsaSecurityKey LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            TryCreate(path);
        }
        return Load(path);
    }

    public static RsaSecurityKey Load(string path)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        catch (ArgumentException e)
        {
            rsa.Dispose();
            throw new KeyFileException($"{path} holds no readable RSA private key ({e.Message}). Delete it to get a new one " +
                "(tokens signed with the old key then stop being valid).", e);
        }
        return new RsaSecurityKey(rsa) { KeyId = KeyIdOf(rsa) };
    }

    /// <summary>
    /// The key's RFC 7638 JWK thumbprint: depends on the public key only, so it is the same on every start and
    /// anyone holding the PEM file computes the same <c>kid</c> the JWKS publishes.
    /// </summary>
    public static string KeyIdOf(RSA rsa)
    {
        var publicJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false)));
        return Base64UrlEncoder.Encode(publicJwk.ComputeJwkThumbprint());
    }

    private static void TryCreate(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var rsa = RSA.Create(KeySize);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        // Written under another name with owner-only rights from the first byte, then renamed: a crash never leaves
        // half a key behind, and a concurrent first start keeps whichever key landed first.
        var file = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temporary, file))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(rsa.ExportPkcs8PrivateKeyPem());
        }
        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
        }
    }
}

/// <summary>A key file that exists but cannot be used; never replaced silently.</summary>
public sealed class KeyFileException(string message, Exception inner) : Exception(message, inner);
