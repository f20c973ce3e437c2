using System.Buffers.Text;
using System.Security.Cryptography;

namespace RouterHost.WireGuard.Keys;

/// <summary>
/// Keys in WireGuard's text form, as <c>wg genkey</c>, <c>wg pubkey</c> and <c>wg genpsk</c> print them: the 32 key
/// bytes in standard base64 with padding, exactly 44 characters ending in '='.
/// </summary>
public static class WireGuardKey
{
    /// <summary>Bytes of a key.</summary>
    public const int Size = 32;

    /// <summary>Characters of a key's base64 form.</summary>
    public const int TextLength = 44;

    /// <summary>
    /// Decodes <paramref name="text"/> (surrounding whitespace ignored) into <paramref name="key"/>; false with
    /// <paramref name="problem"/> saying what is wrong (never echoing the text, which may be a secret).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, Span<byte> key, out string? problem)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(key.Length, Size, nameof(key));
        text = text.Trim();
        if (text.Length != TextLength || text[^1] != '=' || text[^2] == '=')
        {
            problem = $"is not a WireGuard key: expected {TextLength} base64 characters ending in one '=' (got {text.Length} characters)";
            return false;
        }

        Span<byte> decoded = stackalloc byte[Size + 2];
        bool ok = Convert.TryFromBase64Chars(text, decoded, out int written) && written == Size;
        if (ok)
        {
            decoded[..Size].CopyTo(key);
        }

        CryptographicOperations.ZeroMemory(decoded);
        if (!ok)
        {
            problem = "is not a WireGuard key: not valid base64 of 32 bytes";
            return false;
        }

        // Base64 of 32 bytes leaves two unused bits in the last character; wg itself refuses nonzero ones.
        Span<byte> check = stackalloc byte[TextLength];
        Base64.EncodeToUtf8(key, check, out _, out _);
        bool canonical = true;
        for (int i = 0; i < TextLength; i++)
        {
            canonical &= check[i] == text[i];
        }

        CryptographicOperations.ZeroMemory(check);
        if (!canonical)
        {
            key.Clear();
            problem = "is not a WireGuard key: its last character carries bits that 32 bytes cannot have";
            return false;
        }

        problem = null;
        return true;
    }

    /// <summary>The base64 form of a 32-byte key.</summary>
    public static string Format(ReadOnlySpan<byte> key)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(key.Length, Size, nameof(key));
        return Convert.ToBase64String(key);
    }

    /// <summary>A fresh 32-byte preshared key from the OS CSPRNG (<c>wg genpsk</c>).</summary>
    public static void GeneratePresharedKey(Span<byte> key)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(key.Length, Size, nameof(key));
        RandomNumberGenerator.Fill(key);
    }
}
