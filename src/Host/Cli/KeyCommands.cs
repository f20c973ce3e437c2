using System.CommandLine;
using System.Security.Cryptography;
using RouterHost.Crypto;
using RouterHost.WireGuard.Keys;

namespace RouterHost.Cli;

/// <summary>
/// <c>routerhost genkey</c>, <c>pubkey</c> and <c>genpsk</c>: WireGuard keys in WireGuard's base64 form, exactly as
/// <c>wg genkey</c>, <c>wg pubkey</c> and <c>wg genpsk</c> make them, so keys move freely between RouterHost and any
/// WireGuard peer: <c>routerhost genkey | tee wg.key | routerhost pubkey &gt; wg.pub</c>.
/// </summary>
internal static class KeyCommands
{
    public static Command CreateGenkey()
    {
        var command = new Command("genkey", "Print a new private key (base64, as wg genkey). Store it in a file of mode 0600.");
        command.SetAction(_ => Genkey(Console.Out, Console.Error));
        return command;
    }

    public static Command CreatePubkey()
    {
        var command = new Command("pubkey", "Read a private key on standard input and print its public key (as wg pubkey).");
        command.SetAction(_ => Pubkey(Console.In, Console.Out, Console.Error));
        return command;
    }

    public static Command CreateGenpsk()
    {
        var command = new Command("genpsk", "Print a new preshared key (base64, as wg genpsk). Store it in a file of mode 0600.");
        command.SetAction(_ => Genpsk(Console.Out));
        return command;
    }

    public static int Genkey(TextWriter output, TextWriter error)
    {
        if (!KeyAgreementAlgorithm.X25519.IsSupported)
        {
            error.WriteLine("error: X25519 is unavailable: neither OpenSSL's libcrypto 3 nor libsodium could be loaded");
            return 1;
        }

        using X25519PrivateKey key = KeyAgreementAlgorithm.X25519.GenerateKey();
        Span<byte> secret = stackalloc byte[WireGuardKey.Size];
        key.ExportPrivateKey(secret);
        output.WriteLine(WireGuardKey.Format(secret));
        CryptographicOperations.ZeroMemory(secret);
        return 0;
    }

    public static int Pubkey(TextReader input, TextWriter output, TextWriter error)
    {
        char[] buffer = new char[256];
        int length = input.ReadBlock(buffer, 0, buffer.Length);
        Span<byte> secret = stackalloc byte[WireGuardKey.Size];
        try
        {
            if (length == buffer.Length)
            {
                error.WriteLine("error: standard input is not a WireGuard key: too long");
                return 1;
            }

            if (!WireGuardKey.TryParse(buffer.AsSpan(0, length), secret, out string? problem))
            {
                error.WriteLine($"error: standard input {problem}");
                return 1;
            }

            using X25519PrivateKey key = KeyAgreementAlgorithm.X25519.ImportPrivateKey(secret);
            output.WriteLine(WireGuardKey.Format(key.PublicKey));
            return 0;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
            Array.Clear(buffer);
        }
    }

    public static int Genpsk(TextWriter output)
    {
        Span<byte> psk = stackalloc byte[WireGuardKey.Size];
        WireGuardKey.GeneratePresharedKey(psk);
        output.WriteLine(WireGuardKey.Format(psk));
        CryptographicOperations.ZeroMemory(psk);
        return 0;
    }
}
