using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.Settings;

/// <summary>
/// Reads values from a configuration section, adding a <see cref="ConfigurationProblem"/> that names the full key
/// path for every bad value and returning the default in its place, so one pass reports every problem.
/// </summary>
public sealed class SettingsReader(List<ConfigurationProblem> problems)
{
    /// <summary>The problems found so far.</summary>
    public List<ConfigurationProblem> Problems { get; } = problems;

    /// <summary>Adds a problem at <paramref name="path"/>.</summary>
    public void Problem(string path, string message) => Problems.Add(new ConfigurationProblem(path, message));

    /// <summary>Reports every child of <paramref name="section"/> whose key is not in <paramref name="known"/>.</summary>
    public void CheckKeys(IConfigurationSection section, params string[] known)
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            bool found = false;
            foreach (string key in known)
            {
                found |= string.Equals(key, child.Key, StringComparison.OrdinalIgnoreCase);
            }

            if (!found)
            {
                Problem(child.Path, $"unknown key; expected one of: {string.Join(", ", known)}");
            }
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
        string? text = section[key];
        if (text is null)
        {
            return defaultValue;
        }

        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
        {
            Problem($"{section.Path}:{key}", $"must be a whole number between {min} and {max} (got '{text}')");
            return defaultValue;
        }

        return value;
    }

    /// <summary>A number in [min, max].</summary>
    public double Number(IConfigurationSection section, string key, double defaultValue, double min, double max)
    {
        string? text = section[key];
        if (text is null)
        {
            return defaultValue;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= min && value <= max))
        {
            Problem($"{section.Path}:{key}", $"must be a number between {min} and {max} (got '{text}')");
            return defaultValue;
        }

        return value;
    }

    /// <summary>true or false.</summary>
    public bool Boolean(IConfigurationSection section, string key, bool defaultValue)
    {
        string? text = section[key];
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
        string? text = section[key];
        if (text is null)
        {
            return defaultValue;
        }

        if (!TryParseDuration(text, out TimeSpan value) || value < min || value > max)
        {
            Problem($"{section.Path}:{key}", $"must be a duration between {min.TotalSeconds}s and {max.TotalSeconds}s, like '30s', '500ms' or '2h' (got '{text}')");
            return defaultValue;
        }

        return value;
    }

    /// <summary>One of <paramref name="names"/> (case-insensitive), as its index; null when absent or bad.</summary>
    public int? Choice(IConfigurationSection section, string key, params string[] names)
    {
        string? text = section[key];
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
}
