using ScanTools.Storage;
using StackExchange.Redis;

namespace ScanTools.Remote;

/// <summary>Opens StackExchange.Redis connections for a <see cref="RemoteCatalogAddress"/>; errors never carry the password.</summary>
internal static class RemoteConnection
{
    /// <summary>
    /// True for an answer of the broker that waiting and retrying never changes: WRONGTYPE (a key of the catalog holds
    /// another type of data than ScanTools keeps there) and NOPERM (the ACL user may not run a command ScanTools needs).
    /// </summary>
    public static bool IsRefusal(RedisException ex) =>
        ex is RedisServerException && (ex.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal) || ex.Message.StartsWith("NOPERM", StringComparison.Ordinal));

    /// <summary>What a refusal (<see cref="IsRefusal"/>) means and what to do; the command that meets it stops with this message.</summary>
    public static string RefusalMessage(RemoteCatalogAddress address, RedisException ex) =>
        ex.Message.StartsWith("NOPERM", StringComparison.Ordinal)
            ? $"The broker of '{address}' refused a command ScanTools needs ({ex.Message}): its ACL user lacks a permission. " +
              "Give the user what about_ScanTools lists (ACL SETUSER ... +@stream +hget +hmget +hgetall +hset +hmset ...); nothing that was committed is lost."
            : $"A key of the catalog '{address}' on the broker holds another type of data than ScanTools keeps there (WRONGTYPE): " +
              $"another program, or a hand, wrote to {address.StreamKey} (a stream), {address.CommittedKey} or {address.AliveKey} (hashes). " +
              "Delete the wrong key (redis-cli TYPE names the type, DEL removes it) or give the catalog another name; nothing that was committed is lost.";

    public static ConnectionMultiplexer Open(RemoteCatalogAddress address, string? password)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { { address.Host, address.Port } },
            User = address.User,
            Password = password,
            Ssl = address.Tls,
            AbortOnConnectFail = false, // keep reconnecting: a broker restart is expected, not fatal
            ConnectTimeout = 3000,
            ConnectRetry = 1,
            SyncTimeout = 10000,
            ClientName = "ScanTools-" + Environment.MachineName,
        };
        ConnectionMultiplexer redis;
        try
        {
            redis = ConnectionMultiplexer.Connect(options);
        }
        catch (RedisException ex)
        {
            throw Unreachable(address, ex);
        }
        try
        {
            redis.GetDatabase().Ping();
        }
        catch (RedisException ex)
        {
            redis.Dispose();
            throw Unreachable(address, ex);
        }
        if (address.User is string user && !IsUser(redis, user))
        {
            // The client library goes on as the default user when AUTH fails, which works where that user needs no
            // password: a mistyped password would go unnoticed, and the commands would run with the default user's rights.
            redis.Dispose();
            throw new CatalogException(CatalogErrorCode.OpenFailed, address.ToString(),
                $"The broker of '{address}' could not be used: it refused the credentials of the user '{user}' (the connection fell back to the default user). " +
                $"Check the password in ${RemoteCatalogAddress.PasswordVariable} or -Credential, and that the ACL user exists and is on.");
        }
        return redis;
    }

    /// <summary>
    /// True when the connection is authenticated as <paramref name="user"/> (ACL WHOAMI). A broker without ACLs
    /// (before Redis 6), or a user not allowed to ask, is taken at its word: only the default user answers otherwise.
    /// </summary>
    private static bool IsUser(ConnectionMultiplexer redis, string user)
    {
        try
        {
            string? whoami = (string?)redis.GetDatabase().Execute("ACL", "WHOAMI");
            return whoami is null || string.Equals(whoami, user, StringComparison.Ordinal);
        }
        catch (RedisServerException)
        {
            return true; // NOPERM (a restricted user, so not the default one) or an older broker
        }
    }

    /// <summary>The messages of an exception and its inner exceptions (StackExchange.Redis puts the TLS failure inside).</summary>
    private static string AllMessages(Exception ex)
    {
        var text = new System.Text.StringBuilder();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            text.Append(e.GetType().Name).Append(": ").Append(e.Message).Append(' ');
        }
        return text.ToString();
    }

    private static CatalogException Unreachable(RemoteCatalogAddress address, RedisException ex)
    {
        string text = AllMessages(ex);
        string why = address.Tls && (text.Contains("certificate", StringComparison.OrdinalIgnoreCase) || text.Contains("SSL", StringComparison.Ordinal) || text.Contains("TLS", StringComparison.Ordinal))
                && !text.Contains("WRONGPASS", StringComparison.OrdinalIgnoreCase) && !text.Contains("NOAUTH", StringComparison.OrdinalIgnoreCase)
            ? "its TLS certificate was not accepted (not signed by an authority this computer trusts, or issued for another name). " +
              $"Add the broker's certificate authority to this computer's trusted store, and connect by the name in the certificate ({address.Host} was used)"
            : text.Contains("NOAUTH", StringComparison.OrdinalIgnoreCase) || text.Contains("WRONGPASS", StringComparison.OrdinalIgnoreCase)
                || text.Contains("AuthenticationFailure", StringComparison.OrdinalIgnoreCase)
            ? $"it refused the credentials: give the password in ${RemoteCatalogAddress.PasswordVariable} or -Credential"
            : "it did not answer";
        // Reachability is the advice only when the broker did not answer: after a refusal of the credentials it sent people
        // looking for a network fault (newcomer test 77).
        return new CatalogException(CatalogErrorCode.OpenFailed, address.ToString(),
            why == "it did not answer"
                ? $"The broker of '{address}' could not be used: {why}. Check that redis-server runs at {address.Host}:{address.Port} and is reachable from here."
                : $"The broker of '{address}' could not be used: {why}.");
    }
}
