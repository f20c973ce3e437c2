using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.Settings;

/// <summary>
/// Reads values from a configuration section, adding a <see cref="ConfigurationProblem"/> that names the full key
/// path for every bad value and returning the default in its place, so one pass reports every problem.
/// </summary>
public sealed class SettingsReader(List<ConfigurationProblem> problems)
{
    // linux/if.h: a device name and its terminator; limits.h: the longest file name (a namespace in /run/netns).
    private const int IFNAMSIZ = 16;
    private const int NAME_MAX = 255;

    /// <summary>The problems found so far.</summary>
    public List<ConfigurationProblem> Problems { get; } = problems;

    /// <summary>Adds a problem at <paramref name="path"/>.</summary>
    public void Problem(string path, string message) => Problems.Add(new ConfigurationProblem(path, message));

    /// <summary>Reports every child of <paramref name="section"/> whose key is not in <paramref name="known"/>.</summary>
    public void CheckKeys(IConfigurationSection section, params string[] known) => CheckKeys(section.GetChildren(), null, known);

    /// <summary>
    /// Reports every one of <paramref name="children"/> whose key is not in <paramref name="known"/> (case-insensitive),
    /// saying "in <paramref name="where"/>" when given (for the top level of a file, which has no key path of its own).
    /// A blank key is named by its place, "Section:(empty key ' ')", since its own path would read as the section's.
    /// </summary>
    public void CheckKeys(IEnumerable<IConfigurationSection> children, string? where, params string[] known)
    {
        foreach (IConfigurationSection child in children)
        {
            bool found = false;
            foreach (string key in known)
            {
                found |= string.Equals(key, child.Key, StringComparison.OrdinalIgnoreCase);
            }

            if (found)
            {
                continue;
            }

            string path = child.Path;
            if (child.Key.Trim().Length == 0)
            {
                string parent = child.Path.Length > child.Key.Length ? child.Path[..(child.Path.Length - child.Key.Length - 1)] : string.Empty;
                path = $"{(parent.Length == 0 ? string.Empty : parent + ":")}(empty key '{child.Key}')";
            }

            Problem(path, where is null
                ? $"unknown key; expected one of: {string.Join(", ", known)}"
                : $"unknown key in {where}; expected one of: {string.Join(", ", known)}");
        }
    }

    /// <summary>The items of a list; a scalar value counts as a one-item list.</summary>
    public static IEnumerable<IConfigurationSection> Items(IConfigurationSection section) =>
        section.Value is { Length: > 0 } ? [section] : section.GetChildren();

    /// <summary>The strings of a list (or a single string), each with its path.</summary>
    public List<(string Path, string Value)> Strings(IConfigurationSection section)
    {
        var values = new List<(string, string)>();
        foreach (IConfigurationSection item in Items(section))
        {
            if (item.Value is { Length: > 0 } text)
            {
                values.Add((item.Path, text.Trim()));
            }
            else
            {
                Problem(item.Path, "must be a string");
            }
        }

        return values;
    }

    /// <summary>A whole number in [min, max].</summary>
    public long Integer(IConfigurationSection section, string key, long defaultValue, long min, long max)
    {
        string? text = Scalar(section, key, FormattableString.Invariant($"a whole number between {min} and {max}"));
        if (text is null)
        {
            return defaultValue;
        }

        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
        {
            Problem($"{section.Path}:{key}", FormattableString.Invariant($"must be a whole number between {min} and {max} (got '{text}')"));
            return defaultValue;
        }

        return value;
    }

    /// <summary>A number in [min, max].</summary>
    public double Number(IConfigurationSection section, string key, double defaultValue, double min, double max)
    {
        string? text = Scalar(section, key, FormattableString.Invariant($"a number between {min} and {max}"));
        if (text is null)
        {
            return defaultValue;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= min && value <= max))
        {
            Problem($"{section.Path}:{key}", FormattableString.Invariant($"must be a number between {min} and {max} (got '{text}')"));
            return defaultValue;
        }

        return value;
    }

    /// <summary>true or false.</summary>
    public bool Boolean(IConfigurationSection section, string key, bool defaultValue)
    {
        string? text = Scalar(section, key, "true or false");
        if (text is null)
        {
            return defaultValue;
        }

        if (!bool.TryParse(text, out bool value))
        {
            Problem($"{section.Path}:{key}", $"must be true or false (got '{text}')");
            return defaultValue;
        }

        return value;
    }

    /// <summary>A duration: seconds as a number ("30", "0.5"), or with a unit ("500ms", "30s", "5m", "2h").</summary>
    public TimeSpan Duration(IConfigurationSection section, string key, TimeSpan defaultValue, TimeSpan min, TimeSpan max)
    {
        string what = FormattableString.Invariant($"a duration between {min.TotalSeconds}s and {max.TotalSeconds}s, like '30s', '500ms' or '2h'");
        string? text = Scalar(section, key, what);
        if (text is null)
        {
            return defaultValue;
        }

        if (!TryParseDuration(text, out TimeSpan value) || value < min || value > max)
        {
            Problem($"{section.Path}:{key}", $"must be {what} (got '{text}')");
            return defaultValue;
        }

        return value;
    }

    /// <summary>One of <paramref name="names"/> (case-insensitive), as its index; null when absent or bad.</summary>
    public int? Choice(IConfigurationSection section, string key, params string[] names)
    {
        string? text = Scalar(section, key, $"one of: {string.Join(", ", names)}");
        if (text is null)
        {
            return null;
        }

        for (int i = 0; i < names.Length; i++)
        {
            if (string.Equals(names[i], text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        Problem($"{section.Path}:{key}", $"must be one of: {string.Join(", ", names)} (got '{text}')");
        return null;
    }

    /// <summary>An IP address (either family, or the one asked for).</summary>
    public IPAddress? Address(IConfigurationSection section, string key, System.Net.Sockets.AddressFamily? family = null)
    {
        string? text = section[key];
        if (text is null)
        {
            return null;
        }

        if (!IPAddress.TryParse(text.Trim(), out IPAddress? address) || (family is { } f && address.AddressFamily != f))
        {
            string what = family switch
            {
                System.Net.Sockets.AddressFamily.InterNetwork => "an IPv4 address",
                System.Net.Sockets.AddressFamily.InterNetworkV6 => "an IPv6 address",
                _ => "an IP address",
            };
            Problem($"{section.Path}:{key}", $"must be {what} (got '{text}')");
            return null;
        }

        return address;
    }

    /// <summary>
    /// A Linux network device name at <paramref name="key"/>, else <paramref name="defaultName"/> (see
    /// <see cref="IsDeviceName"/>); a bad one is reported and returned as it is.
    /// </summary>
    public string DeviceName(IConfigurationSection section, string key, string defaultName)
    {
        string name = section[key] is { Length: > 0 } text ? text.Trim() : defaultName;
        if (!IsDeviceName(name))
        {
            Problem($"{section.Path}:{key}", $"'{name}' is not a usable Linux interface name (not empty and at most 15 bytes; no '/', ':' or spaces)");
        }

        return name;
    }

    /// <summary>
    /// A network namespace at <paramref name="key"/>: a name as <c>ip netns add NAME</c> takes it, or an absolute path
    /// (see <see cref="IsNamespaceName"/>); null when absent or empty. A bad one is reported and returned as it is.
    /// </summary>
    public string? NamespaceName(IConfigurationSection section, string key)
    {
        string? name = section[key]?.Trim() is { Length: > 0 } text ? text : null;
        if (name is not null && !IsNamespaceName(name))
        {
            Problem($"{section.Path}:{key}", $"'{name}' is not a network namespace name (as in 'ip netns add NAME') or an absolute path");
        }

        return name;
    }

    /// <summary>
    /// Whether <paramref name="name"/> can name something by a plain word: not empty, and no spaces, slashes or control
    /// characters (an interface's key under <c>Interfaces</c>; a Linux device name is stricter, <see cref="IsDeviceName"/>).
    /// </summary>
    public static bool IsPlainName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (char c in name)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c == '/')
            {
                return false;
            }
        }

        return name.Length > 0;
    }

    /// <summary>
    /// Whether the kernel takes <paramref name="name"/> as a network device name: a plain name (<see cref="IsPlainName"/>)
    /// of at most 15 bytes (IFNAMSIZ less its terminator), without ':' (alias labels), and not "." or "..".
    /// </summary>
    public static bool IsDeviceName(string name) =>
        IsPlainName(name) && Encoding.UTF8.GetByteCount(name) < IFNAMSIZ && !name.Contains(':', StringComparison.Ordinal) && name is not ("." or "..");

    /// <summary>
    /// Whether <paramref name="name"/> names a network namespace: an absolute path (<c>/proc/1/ns/net</c>), or a name
    /// as <c>ip netns add</c> takes it (a file in <c>/run/netns</c>: at most 255 bytes, no '/', not "." or "..") without
    /// control characters.
    /// </summary>
    public static bool IsNamespaceName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (char c in name)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }

        return name.StartsWith('/')
            || (name.Length > 0 && !name.Contains('/', StringComparison.Ordinal) && name is not ("." or "..") && Encoding.UTF8.GetByteCount(name) <= NAME_MAX);
    }

    /// <summary>Parses "30", "1.5", "500ms", "30s", "5m", "2h", "1d".</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        string t = text.Trim();
        double scale = 1;
        if (t.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            scale = 0.001;
            t = t[..^2];
        }
        else if (t.Length > 0 && char.IsLetter(t[^1]))
        {
            scale = char.ToLowerInvariant(t[^1]) switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, _ => double.NaN };
            t = t[..^1];
        }

        if (double.IsNaN(scale) || !double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || !double.IsFinite(number) || number < 0)
        {
            return false;
        }

        double seconds = number * scale;
        if (seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>The text at <paramref name="key"/>; a section there instead is reported as not being <paramref name="what"/>.</summary>
    private string? Scalar(IConfigurationSection section, string key, string what)
    {
        IConfigurationSection value = section.GetSection(key);
        if (value.Value is null && value.GetChildren().Any())
        {
            Problem(value.Path, $"must be {what}, not a section");
        }

        return value.Value;
    }
}
