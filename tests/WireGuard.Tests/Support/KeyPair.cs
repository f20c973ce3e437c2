using System.Security.Cryptography;
using RouterHost.Crypto;
using RouterHost.WireGuard.Keys;

namespace RouterHost.WireGuard.Tests.Support;

/// <summary>A WireGuard key pair for a test node: the private key in a 0600 file (deleted on dispose) and both in base64.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class KeyPair : IDisposable
{
    private readonly string _directory;

    public KeyPair()
    {
        _directory = Directory.CreateTempSubdirectory("rh-wgkey-").FullName;
        using X25519PrivateKey key = KeyAgreementAlgorithm.X25519.GenerateKey();
        Span<byte> secret = stackalloc byte[32];
        key.ExportPrivateKey(secret);
        PrivateKey = WireGuardKey.Format(secret);
        CryptographicOperations.ZeroMemory(secret);
        PublicKey = WireGuardKey.Format(key.PublicKey);
        PrivateKeyFile = Path.Combine(_directory, "private.key");
        File.WriteAllText(PrivateKeyFile, PrivateKey + "\n");
        File.SetUnixFileMode(PrivateKeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public string PrivateKey { get; }

    public string PublicKey { get; }

    public string PrivateKeyFile { get; }

    /// <summary>Writes a secret (a preshared key) to a 0600 file beside the private key and returns its path.</summary>
    public string WriteSecret(string name, string base64)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, base64 + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    public static string NewPresharedKey()
    {
        Span<byte> psk = stackalloc byte[32];
        WireGuardKey.GeneratePresharedKey(psk);
        return WireGuardKey.Format(psk);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
