using System.Security.Cryptography;
using RouterHost.Linux;

namespace RouterHost.WireGuard.Keys;

/// <summary>
/// Reads a secret key (a private key or a preshared key) from a file holding its base64 form, as <c>wg</c>'s
/// <c>private-key</c> and <c>preshared-key</c> files do. The file must not be accessible to group or others (a key
/// other users can read is no longer secret) and must pass <see cref="FileTrust"/> (owned by root or the router's
/// user, in folders nobody else can write), else the router refuses to start and says how to fix it.
/// </summary>
public static class KeyFile
{
    /// <summary>
    /// Reads the key in <paramref name="path"/> into <paramref name="key"/>; false with <paramref name="problem"/>
    /// naming the file and what is wrong (missing, unreadable, too open, another user's, in a folder others can write, not a key).
    /// </summary>
    public static bool TryRead(string path, Span<byte> key, out string? problem)
    {
        if (!File.Exists(path))
        {
            problem = $"key file '{path}' does not exist";
            return false;
        }

        // Who could write the file, or any folder on its way, could swap the key; who could read it has the secret.
        if (!FileTrust.Check(path, TrustedPathKind.KeyFile, out problem))
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"key file '{path}' cannot be read: {ex.Message}";
            return false;
        }

        try
        {
            if (bytes.Length > 256)
            {
                problem = $"key file '{path}' is not a WireGuard key: {bytes.Length} bytes, expected one 44-character base64 line";
                return false;
            }

            Span<char> text = stackalloc char[bytes.Length];
            for (int i = 0; i < bytes.Length; i++)
            {
                text[i] = (char)bytes[i];
            }

            bool ok = WireGuardKey.TryParse(text, key, out string? why);
            text.Clear();
            problem = ok ? null : $"key file '{path}' {why}";
            return ok;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
