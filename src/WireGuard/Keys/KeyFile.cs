using System.Security.Cryptography;

namespace RouterHost.WireGuard.Keys;

/// <summary>
/// Reads a secret key (a private key or a preshared key) from a file holding its base64 form, as <c>wg</c>'s
/// <c>private-key</c> and <c>preshared-key</c> files do. The file must not be accessible to group or others: a key
/// other users can read is no longer secret, so the router refuses to start and says how to fix it.
/// </summary>
public static class KeyFile
{
    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Reads the key in <paramref name="path"/> into <paramref name="key"/>; false with <paramref name="problem"/>
    /// naming the file and what is wrong (missing, unreadable, too open, not a key).
    /// </summary>
    public static bool TryRead(string path, Span<byte> key, out string? problem)
    {
        if (!File.Exists(path))
        {
            problem = $"key file '{path}' does not exist";
            return false;
        }

        if (!OperatingSystem.IsWindows())
        {
            UnixFileMode mode = File.GetUnixFileMode(path);
            if ((mode & GroupOrOthers) != 0)
            {
                problem = $"key file '{path}' has mode {Octal(mode)}: a key must not be accessible to group or others (chmod 600 '{path}')";
                return false;
            }
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

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1ff, 8);
}
