using System.Security.Cryptography;
using System.Text;
using RouterHost.Linux;

namespace RouterHost.Plugins;

/// <summary>
/// The SHA-256 of a plugin folder, over all its files (not only the entry assembly: a pin on that alone would leave
/// its dependencies and native libraries swappable). It is the SHA-256 of the <c>sha256sum</c> listing of every file
/// below the folder, links followed, in byte order of the relative paths — so it can be computed by hand:
/// <c>cd FOLDER &amp;&amp; find -L . -type f -printf '%P\n' | LC_ALL=C sort | xargs -r -d '\n' sha256sum | sha256sum</c>.
/// </summary>
internal static class PluginFolderHash
{
    /// <summary>Hex digits of a SHA-256.</summary>
    public const int HexLength = 64;

    /// <summary>The folder's hash in lowercase hex, from the files a trust check listed.</summary>
    public static string Compute(IReadOnlyList<TrustedFile> files)
    {
        var ordered = new List<(byte[] Name, string Path)>(files.Count);
        foreach (TrustedFile file in files)
        {
            ordered.Add((Encoding.UTF8.GetBytes(file.RelativePath), file.FullPath));
        }

        ordered.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        using var listing = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        foreach ((byte[] name, string path) in ordered)
        {
            using (FileStream stream = File.OpenRead(path))
            {
                SHA256.HashData(stream, digest);
            }

            listing.AppendData(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(digest)));
            listing.AppendData("  "u8);
            listing.AppendData(name);
            listing.AppendData("\n"u8);
        }

        return Convert.ToHexStringLower(listing.GetHashAndReset());
    }

    /// <summary>Whether <paramref name="text"/> is a SHA-256 in hex (either case).</summary>
    public static bool IsHash(string text)
    {
        if (text.Length != HexLength)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
