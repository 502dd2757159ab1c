// The portal in a real browser: Debian's Chromium driven by playwright-core against a running
// `virion serve` holding released genomes. Started by crates/virion/tests/browser.rs, which
// passes the server's URL and the screenshot directory:
//
//   node web/e2e/portal.mjs http://127.0.0.1:PORT docs/screenshots METADATA SEQUENCES BROKEN_METADATA \
//     RESTRICTED_METADATA RESTRICTED_SEQUENCES
//
// The steps follow a newcomer: sign up, create a group, upload the shared genomes (a broken
// table first), fix a row, approve, then find the released genomes by lineage and mutation, open
// one, download it, chart them; a second upload is restricted-use, for the download dialog.
// Each step asserts on what the page rendered (counts, rows, the record's calls, a downloaded
// file), not only that it loaded; each page's screenshot is written to the directory.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const [base, shots, metadata, sequences, brokenMetadata, restrictedMetadata, restrictedSequences] =
  process.argv.slice(2);
if (!base || !shots || !metadata || !sequences || !brokenMetadata || !restrictedMetadata || !restrictedSequences) {
  console.error('usage: node portal.mjs BASE_URL SCREENSHOT_DIR METADATA SEQUENCES BROKEN_METADATA RESTRICTED_METADATA RESTRICTED_SEQUENCES');
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });
fs.rmSync(path.join(shots, 'failure.png'), { force: true }); // a previous run's
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}
const number = (text) => Number(String(text).replace(/[^0-9]/g, ''));

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run',
  ],
});
const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
// Nothing may be fetched from outside the server (every asset is served by the binary).
const outside = [];
// (The identity provider of the single sign-on step is the one other server it may visit,
// and what the provider's own pages load is the provider's business.)
page.on('request', (r) => {
  const sso = process.env.VIRION_E2E_SSO;
  const fromProvider = sso && (r.url().startsWith(sso) || r.frame().url().startsWith(sso));
  if (!r.url().startsWith(base) && !fromProvider) outside.push(r.url());
});
const failures = [];
page.on('pageerror', (e) => failures.push(e.message));
// Each page is also checked by axe-core (Deque's accessibility engine) against WCAG 2.1 A and
// AA: labels, names, contrast, landmarks, ARIA use. The dashboard is left to its components.
const axeSource = fs.readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const audited = [];
async function shot(name, { audit = true } = {}) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  if (!audit) return;
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  check(found.length === 0, `${name}: accessibility violations:\n  ${found.join('\n  ')}`);
  audited.push(name);
}

const releasedCount = async () => (await (await fetch(`${base}/sars-cov-2/sample/aggregated`)).json()).data[0].count;
// The review page refreshes itself while processing runs; wait until nothing is left to process.
async function processed() {
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-testid="status-counts"]')?.textContent ?? '';
    return t.includes('processed') && !t.includes('received') && !t.includes('in_processing');
  }, null, { timeout: 300000, polling: 500 });
}
// Approve everything processed on the review page; wait until the release is queryable.
async function approveAll(expectReleased) {
  await page.getByRole('button', { name: 'Approve all processed' }).click();
  await page.waitForLoadState('domcontentloaded');
  const approvedText = await page.getByRole('status').first().textContent();
  check(/\d+ approved, \d+ released/.test(approvedText) && !approvedText.startsWith('0 approved'), `approved: ${approvedText}`);
  let now = await releasedCount();
  for (let i = 0; i < 80 && now !== expectReleased; i++) {
    await page.waitForTimeout(250);
    now = await releasedCount();
  }
  check(now === expectReleased, `released genomes become searchable (${now} of ${expectReleased})`);
}
async function upload(metadataFile, sequencesFile, group, restrictedUntil) {
  await page.goto(`${base}/sars-cov-2/submit`);
  await page.getByLabel('Group').selectOption(group);
  await page.getByLabel('Metadata table').setInputFiles(metadataFile);
  await page.getByLabel('Sequences (FASTA)').setInputFiles(sequencesFile);
  if (restrictedUntil) {
    await page.locator('input[name="dataUseTermsType"][value="RESTRICTED"]').check();
    await page.getByLabel('until').fill(restrictedUntil);
  }
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  await page.waitForLoadState('domcontentloaded');
}
const recordsIn = (file) => fs.readFileSync(file, 'utf8').trim().split('\n').length - 1;

try {
  // An account: sign up (a mismatched password is named next to its field), create a group,
  // see yourself as its curator. Nothing is released yet.
  await page.goto(`${base}/sars-cov-2`);
  check(await releasedCount() === 0, 'an empty node to start with');
  const user = `browser${Date.now() % 100000}`;
  await page.getByRole('link', { name: 'Sign up' }).click();
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password', { exact: true }).fill('a long browser password');
  await page.getByLabel('Password again').fill('a different password');
  await page.getByRole('button', { name: 'Create account' }).click();
  check((await page.locator('#f-confirm-error').textContent()).includes('differ'), 'password mismatch named');
  await page.getByLabel('Password', { exact: true }).fill('a long browser password');
  await page.getByLabel('Password again').fill('a long browser password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/account$/);
  check((await page.locator('h1').textContent()).includes(user), 'signed up and logged in');
  await page.getByLabel('New group').fill(`${user}-lab`);
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.waitForLoadState('domcontentloaded');
  const groupRegion = page.getByRole('region', { name: `Group ${user}-lab` });
  check((await groupRegion.textContent()).includes('curator'), 'the new group lists its curator');
  await shot('account');

  // Submit: a broken metadata table is refused whole, each problem named by line, column and
  // value; the shared genomes are then received, processed, one row fixed, approved, released.
  const group = `${user}-lab`;
  await upload(brokenMetadata, sequences, group);
  const issues = await page.locator('#issues tbody').textContent();
  check(issues.includes('2020-13-45') && issues.includes('Atlantis'), `the broken values are shown: ${issues.slice(0, 300)}`);
  await shot('submit-errors');
  const shared = recordsIn(metadata);
  await upload(metadata, sequences, group);
  await page.waitForURL(/\/sars-cov-2\/review\?/);
  check((await page.getByRole('status').first().textContent()).includes(`${shared} genomes received`), `${shared} received`);
  await processed();
  await shot('review');
  // Fix a row: a bad value is refused beside its field; a good edit is processed again.
  const editLink = page.locator('#entries a.edit').first();
  const edited = (await editLink.getAttribute('href')).split('/').pop();
  await editLink.click();
  await page.waitForURL(new RegExp(`/sars-cov-2/edit/${edited.replace('.', '\\.')}$`));
  const country = await page.locator('#field-country').inputValue();
  await page.locator('#field-country').fill('Atlantis');
  await page.getByRole('button', { name: 'Save and process again' }).click();
  await page.waitForLoadState('domcontentloaded');
  check(await page.locator('#field-country').getAttribute('aria-invalid') === 'true', 'the bad country is marked');
  check((await page.locator('#field-country-help').textContent()).includes('not an INSDC country'), 'and explained beside it');
  await shot('edit');
  await page.locator('#field-country').fill(country);
  await page.locator('#field-division').fill('Edited in the browser');
  await page.getByRole('button', { name: 'Save and process again' }).click();
  await page.waitForURL(/\/sars-cov-2\/review\?/);
  check((await page.getByRole('status').first().textContent()).includes('processed again'), 'the edit is saved');
  await processed();
  check(await releasedCount() === 0, 'nothing is released before approval');
  await approveAll(shared);
  const divisionNow = await (await fetch(`${base}/sars-cov-2/sample/details?accessionVersion=${edited}&fields=division`)).json();
  check(divisionNow.data[0]?.division === 'Edited in the browser', `the edit is released: ${JSON.stringify(divisionNow.data)}`);

  // A second batch under restricted use for 30 days: the search page's downloads leave it out.
  const until = new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 10);
  const restrictedCount = recordsIn(restrictedMetadata);
  await upload(restrictedMetadata, restrictedSequences, group, until);
  await page.waitForURL(/\/sars-cov-2\/review\?/);
  await processed();
  await approveAll(shared + restrictedCount);

  // Home: the released genomes are counted; the first Tab reaches the skip link.
  await page.goto(`${base}/sars-cov-2`);
  const released = number(await page.getByTestId('released-count').textContent());
  check(released === shared + restrictedCount, `home counts the released genomes (${released})`);
  await page.keyboard.press('Tab');
  check((await page.evaluate(() => document.activeElement?.textContent)) === 'Skip to content', 'skip link first');
  const lineage = (await page.locator('section[aria-label="Pango lineage"] ul.facet li a').first().textContent()).trim();
  check(lineage.length > 0, 'home lists the most common lineages');
  await shot('home');

  // Search by lineage through the one search box (sublineages included with *), by keyboard
  // alone: Tab reaches the box, each stop shows a focus ring, Enter searches.
  const searchBox = page.getByLabel(/Search SARS-CoV-2 by accession/);
  for (let i = 0; i < 40 && !(await searchBox.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return s.outlineStyle !== 'none' && s.outlineWidth !== '0px';
    });
    check(ring, `focus is visible on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80))}`);
  }
  check(await searchBox.evaluate((el) => el === document.activeElement), 'the search box is reachable by Tab');
  await page.keyboard.type(`${lineage}*`);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/sars-cov-2\/search\?nextcladePangoLineage=/);
  const byLineage = number(await page.getByTestId('result-count').textContent());
  const rows = await page.locator('#results tbody tr').count();
  check(byLineage > 0 && rows === Math.min(byLineage, 50), `lineage search: ${byLineage} matches, ${rows} rows`);
  check(decodeURIComponent(page.url()).includes(`nextcladePangoLineage=${lineage}*`), 'the URL holds the query');
  await shot('search-lineage');

  // Save the lineage's genomes as a citable collection: its landing page cites it (authors,
  // Bioschemas JSON-LD), and its RO-Crate holds exactly its members (roc-validator checks the
  // file afterwards, from crates/virion/tests/browser.rs).
  const searchUrl = page.url();
  await page.locator('#save-collection summary').click();
  await page.locator('#collection-name').fill(`${lineage} genomes of the browser test`);
  await page.locator('#collection-description').fill('Saved by the browser test from a lineage search.');
  await page.locator('#collection-authors').fill('Doe, Jane 0000-0002-1825-0097\nRoe, Richard');
  await page.getByRole('button', { name: 'Save collection' }).click();
  await page.waitForURL(/\/collections\/VC\d+\.1$/);
  const collectionId = (await page.getByTestId('collection-id').textContent()).trim();
  const members = number(await page.getByTestId('collection-members').textContent());
  check(members === byLineage, `the collection holds the search's ${byLineage} genomes (${members})`);
  check((await page.getByTestId('citation').textContent()).includes('Doe'), 'the citation names its authors');
  const collectionLd = JSON.parse(await page.locator('script[type="application/ld+json"]').textContent());
  check(collectionLd['@type'] === 'Dataset' && String(collectionLd.url).endsWith(collectionId), 'Bioschemas JSON-LD of the collection');
  await shot('collection');
  const accept = page.getByLabel(/I accept the restricted-use terms of/);
  if (await accept.count()) await accept.check();
  const [crateDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download RO-Crate' }).click(),
  ]);
  if (process.env.VIRION_E2E_CRATE) await crateDownload.saveAs(process.env.VIRION_E2E_CRATE);
  check(fs.statSync(await crateDownload.path()).size > 1000, 'the collection downloads as an RO-Crate');
  console.log(`collection ${collectionId}: ${members} genomes`);
  await page.goto(searchUrl);
  // A phone-sized screen: nothing wider than the viewport, filters above the results.
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  for (const [name, url] of [['home-narrow', `${base}/sars-cov-2`], ['search-narrow', page.url()]]) {
    await phone.goto(url);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `${name}: the page fits a 390 px screen (overflow ${overflow} px)`);
    if (name === 'search-narrow') {
      await phone.getByRole('link', { name: /Jump to the .* results/ }).click();
      check(await phone.evaluate(() => document.querySelector('#result-count').getBoundingClientRect().top < window.innerHeight),
        'on a phone one link skips the filters to the results');
    }
    await phone.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  }
  await phone.close();

  // A facet link narrows the search to exactly its count.
  const facet = page.locator('form.filters ul.facet li:has(a)').first();
  const facetCount = number(await facet.locator('.n').textContent());
  await facet.locator('a').click();
  await page.waitForLoadState('domcontentloaded');
  check(number(await page.getByTestId('result-count').textContent()) === facetCount, 'facet count = results');

  // Sorting by a column header keeps the filter.
  await page.goto(`${base}/sars-cov-2/search?nextcladePangoLineage=${encodeURIComponent(lineage + '*')}`);
  // Headers read the schema's display names; the column's own name is the link's title.
  const accessionHeader = page.locator('#results thead th a[title="accessionVersion"]');
  check((await accessionHeader.textContent()).trim().startsWith('Accession'), 'header shows the display name');
  await accessionHeader.click();
  await page.waitForURL(/orderBy=accessionVersion/);
  check(page.url().includes('nextcladePangoLineage='), 'sorting keeps the filter');

  // A record: its lineage, QC, mutations and JSON-LD; the FASTA downloads.
  const first = page.locator('#results tbody tr td a').first();
  const accessionVersion = (await first.textContent()).trim();
  await first.click();
  await page.waitForURL(new RegExp(`/seq/${accessionVersion.replace('.', '\\.')}$`));
  check((await page.locator('h1').textContent()).includes(accessionVersion), 'record heading');
  const recordLineage = (await page.getByTestId('lineage').textContent()).trim();
  check(recordLineage === lineage || recordLineage.startsWith(`${lineage}.`) || recordLineage.length > 0,
    `record lineage ${recordLineage}`);
  const substitutions = await page.locator('section.mutations', { hasText: 'Nucleotide substitutions' }).locator('li').count();
  check(substitutions > 0, `record lists nucleotide substitutions (${substitutions})`);
  const ld = JSON.parse(await page.locator('script[type="application/ld+json"]').textContent());
  check(ld['@type'] === 'Dataset' && ld.identifier === accessionVersion, 'JSON-LD describes the record');
  await shot('record');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('nav.downloads a', { hasText: 'FASTA' }).click(),
  ]);
  const fasta = fs.readFileSync(await download.path(), 'utf8');
  check(fasta.startsWith(`>${accessionVersion}\n`) && fasta.length > 20000, `FASTA download (${fasta.length} bytes)`);

  // Search by mutation; a malformed one is explained next to the form.
  await page.goto(`${base}/sars-cov-2`);
  await page.getByLabel(/Search SARS-CoV-2 by accession/).fill('S:D614G');
  await page.getByLabel(/Search SARS-CoV-2 by accession/).press('Enter');
  await page.waitForURL(/aminoAcidMutations=S%3AD614G/);
  const byMutation = number(await page.getByTestId('result-count').textContent());
  check(byMutation > 0, `S:D614G matches ${byMutation}`);
  await shot('search-mutation');
  // The mutation box checks what is typed (the form works without this script).
  await page.locator('#f-nuc').pressSequentially('C241X', { delay: 20 });
  await page.waitForFunction(() => document.querySelector('#f-nuc-live')?.textContent.includes('nucleotideMutations'));
  check(await page.locator('#f-nuc').getAttribute('aria-invalid') === 'true', 'a bad mutation is flagged as typed');
  await page.locator('#f-nuc').fill('');
  await page.locator('#f-nuc').pressSequentially('C241T', { delay: 20 });
  await page.waitForFunction(() => /sequences match/.test(document.querySelector('#f-nuc-live')?.textContent ?? ''));
  await page.getByLabel('Amino-acid mutations').fill('S:D614');
  await page.getByLabel('Nucleotide mutations').fill('C241X');
  await page.getByRole('button', { name: 'Search', exact: true }).last().click();
  await page.waitForLoadState('domcontentloaded');
  const alert = await page.getByRole('alert').textContent();
  check(alert.includes('nucleotideMutations'), `a bad mutation is named: ${alert}`);
  check(await page.getByLabel('Nucleotide mutations').inputValue() === 'C241X', 'the form keeps what was typed');
  await shot('search-error');

  // The dashboard: each GenSpectrum component, fed by this server's LAPIS routes, renders a
  // table holding non-zero counts (charts are canvases; their tables carry the same data).
  await page.addInitScript(() => {
    window.__gsErrors = [];
    document.addEventListener('gs-error', (e) => window.__gsErrors.push(String(e.error?.message ?? e.message)));
  });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  await page.waitForURL(/\/sars-cov-2\/dashboard$/);
  const rendered = {};
  for (const component of ['gs-number-sequences-over-time', 'gs-prevalence-over-time', 'gs-mutations-over-time',
    'gs-mutations', 'gs-aggregate']) {
    const cells = page.locator(`${component} td`);
    await cells.first().waitFor({ state: 'attached', timeout: 60000 }).catch(() => {});
    const texts = await cells.allTextContents();
    const numbers = texts.map((t) => Number(t.replace(/[,%\s]/g, ''))).filter((n) => Number.isFinite(n) && n > 0);
    rendered[component] = numbers.length;
    check(numbers.length > 0, `${component} renders non-zero data (cells: ${texts.slice(0, 8).join(' | ')})`);
  }
  const gsErrors = await page.evaluate(() => window.__gsErrors);
  check(gsErrors.length === 0, `no component errors: ${gsErrors.join('; ')}`);
  await page.waitForTimeout(500);
  await shot('dashboard', { audit: false });
  const legal = await fetch(`${base}/assets/dashboard.js.LEGAL.txt`);
  check(legal.ok && (await legal.text()).includes('License'), 'the bundle\'s license notices are served');
  console.log(`dashboard: ${JSON.stringify(rendered)}`);

  // The API documentation, rendered from the OpenAPI document.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API' }).click();
  await page.waitForURL(/\/api\/docs$/);
  const routes = await page.locator('section.route').count();
  check(routes > 30, `API docs list the routes (${routes})`);
  await shot('api-docs');

  // Downloads: open data by default; the restricted genomes are counted, with their terms, and
  // downloaded only after accepting them.
  await page.goto(`${base}/sars-cov-2/search`);
  await page.locator('details.downloads summary').click();
  const restrictedForm = page.getByTestId('restricted-download');
  const restrictedNote = await restrictedForm.textContent();
  const leftOut = number(await restrictedForm.locator('strong').first().textContent());
  check(restrictedNote.includes(until) && leftOut === restrictedCount, `${restrictedCount} restricted genomes are left out: ${restrictedNote.slice(0, 200)}`);
  const total = number(await page.getByTestId('result-count').textContent());
  await restrictedForm.getByLabel('File').selectOption('metadata-tsv');
  await shot('download-restricted');
  // The box is required: the browser will not send the form until it is ticked.
  await restrictedForm.getByRole('button').click();
  await page.waitForTimeout(300);
  check(page.url().endsWith('/sars-cov-2/search'), 'no download before the terms are accepted');
  await restrictedForm.getByLabel('I accept the restricted-use terms').check();
  const [all] = await Promise.all([page.waitForEvent('download'), restrictedForm.getByRole('button').click()]);
  const tsv = fs.readFileSync(await all.path(), 'utf8').trim().split('\n');
  check(tsv.length === total + 1, `all ${total} matches downloaded, restricted included (${tsv.length - 1} rows)`);
  const [open] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('details.downloads ul a', { hasText: 'Metadata (TSV)' }).click(),
  ]);
  const openRows = fs.readFileSync(await open.path(), 'utf8').trim().split('\n').length - 1;
  check(openRows === total - restrictedCount, `the open download leaves the restricted out (${openRows} of ${total})`);

  await page.goto(`${base}/sars-cov-2/review`);
  const releasedLink = page.locator('#entries tbody a').first();
  const releasedId = (await releasedLink.textContent()).trim();
  await releasedLink.click();
  await page.waitForURL(new RegExp(`/seq/${releasedId.replace('.', '\\.')}$`));
  check((await page.locator('dl.summary').textContent()).includes('released'), `${releasedId} is released`);
  // A curator revokes it from its record page; approving the revocation publishes it.
  await page.locator('details.revoke summary').click();
  await page.getByLabel('Reason').fill('sample mix-up (browser test)');
  await page.getByRole('button', { name: 'Revoke', exact: true }).click();
  await page.waitForURL(/\/sars-cov-2\/review\?/);
  check((await page.getByRole('status').first().textContent()).includes('revokes'), 'revocation created');
  await page.getByRole('button', { name: 'Approve all processed' }).click();
  await page.waitForLoadState('domcontentloaded');
  const revokedAccession = releasedId.split('.')[0];
  await page.goto(`${base}/seq/${revokedAccession}`);
  check((await page.getByRole('alert').textContent()).includes('revokes the sequence'), 'the latest version is the revocation');
  await shot('record-revoked');

  await page.goto(`${base}/account`);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${base}/`);
  check(await page.getByRole('link', { name: 'Log in' }).count() === 1, 'logged out');

  // An instance administrator adds a peer on the network page and shares the organism with it;
  // the search page then counts over the network, naming the peer that did not answer.
  const [adminName, adminPassword] = (process.env.VIRION_E2E_ADMIN || '').split(/:(.*)/s);
  const peerKey = process.env.VIRION_E2E_PEER_KEY;
  check(adminName && adminPassword && peerKey, 'VIRION_E2E_ADMIN and VIRION_E2E_PEER_KEY are set');
  await page.goto(`${base}/login`);
  await page.getByLabel('User name').fill(adminName);
  await page.getByLabel('Password').fill(adminPassword);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${base}/account`);
  await page.goto(`${base}/network`);
  check((await page.locator('h1').textContent()).includes('Network'), 'the network page');
  const addPeer = page.locator('form[action="/network/peers"]');
  await addPeer.getByLabel('Name').fill('fr');
  await addPeer.getByLabel('URL').fill('http://127.0.0.1:9');
  await addPeer.getByLabel('Public key').fill(peerKey);
  await addPeer.getByRole('button', { name: 'Add peer' }).click();
  await page.waitForLoadState('domcontentloaded');
  check((await page.getByRole('status').first().textContent()).includes('Peer fr added'), 'the peer is added');
  const shareForm = page.locator('form[action="/network/shares"]');
  await shareForm.getByLabel('Level').selectOption('records');
  await shareForm.getByRole('button', { name: 'Set share' }).click();
  await page.waitForLoadState('domcontentloaded');
  check((await page.getByRole('status').first().textContent()).includes('shares records of sars-cov-2 with fr'), 'the share is set');
  check((await page.locator('table').first().textContent()).includes('sars-cov-2: records'), 'the peers table shows the share');
  await shot('network');
  await page.goto(`${base}/sars-cov-2/search`);
  const hereCount = number(await page.getByTestId('result-count').textContent());
  await page.getByRole('navigation', { name: 'Counts shown' }).getByRole('link', { name: 'the network' }).click();
  await page.waitForURL(/scope=network/);
  const networkNote = await page.locator('p.note').first().textContent();
  check(networkNote.includes('Incomplete: fr'), `the unreachable peer is named: ${networkNote}`);
  check(number(await page.getByTestId('result-count').textContent()) === hereCount, 'the network without fr counts what this node holds');
  await shot('search-network');

  // Single sign-on: "Log in with Test Login" goes to a real OpenID Connect provider (code flow
  // with PKCE); back on the node, the provider's account is a local user whose group claim made
  // it curator of sso-lab.
  const sso = process.env.VIRION_E2E_SSO;
  check(sso, 'VIRION_E2E_SSO is set');
  await page.goto(`${base}/account`);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${base}/`);
  await page.goto(`${base}/login`);
  await shot('login');
  await page.getByRole('link', { name: 'Log in with Test Login' }).click();
  await page.waitForURL((u) => u.toString().startsWith(sso));
  await page.locator('input[name="login"]').fill('curator-ana');
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${base}/account`);
  check((await page.locator('h1').textContent()).includes('curator-ana'), 'signed in as the provider\'s account');
  const ssoGroup = page.getByRole('region', { name: 'Group sso-lab' });
  check((await ssoGroup.textContent()).includes('curator'), 'the group claim made her curator of sso-lab');
  await shot('account-sso');

  check(outside.length === 0, `nothing fetched from elsewhere: ${outside.join(', ')}`);
  check(failures.length === 0, `no script errors: ${failures.join('; ')}`);
  console.log(`accessibility (axe-core, WCAG 2.1 AA): no violations on ${audited.join(', ')}`);
  console.log('single sign-on ok: curator-ana signed in through oidc-provider, curator of sso-lab');
  console.log(`portal ok: ${released} released, ${lineage}* ${byLineage}, S:D614G ${byMutation}, record ${accessionVersion}`);
} catch (e) {
  await shot('failure').catch(() => {});
  console.error(`${e.message}\n  at ${page.url()}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
