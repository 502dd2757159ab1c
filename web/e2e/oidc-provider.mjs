// A real, certified OpenID Connect provider (npm `oidc-provider`) for Virion's single sign-on
// test: started by crates/virion/tests/browser.rs before the node, with
//   PORT          the port to listen on (the issuer is http://127.0.0.1:PORT)
//   REDIRECT_URI  the node's /login/sso/callback
//   CLIENT_SECRET the node's client secret
// Its development login form takes any login and password: the login is the account's
// subject and preferred_username, and accounts whose login starts with "curator" carry the
// group claim value "virion-lab-curators" (others "virion-lab-readers"). PKCE is required.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'virion',
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // Every client must use PKCE (S256), not only public ones.
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    email: ['email'],
    groups: ['groups'],
  },
  // The claims of the scopes asked for go into the ID token too (Virion reads the ID token
  // first, the userinfo endpoint when a claim is missing there).
  conformIdTokenClaims: false,
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({
      sub: id,
      preferred_username: id,
      name: id,
      email: `${id}@example.org`,
      groups: id.startsWith('curator') ? ['virion-lab-curators'] : ['virion-lab-readers'],
    }),
  }),
  cookies: { keys: ['virion-test-cookie-key'] },
});
// The development interactions warn that they are not for production: this is a test.
provider.on('server_error', (_ctx, err) => console.error('oidc-provider error', err));

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
