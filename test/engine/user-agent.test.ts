import {
  BROWSER_FAMILY_CACHE_LIMIT,
  browserFamily,
  browserFamilyCacheSize,
  parseBrowserFamily,
} from '../../lib/engine/user-agent';

/**
 * Real user-agent strings and the family uap-core (Elasticsearch's user_agent processor) gives them. The expected
 * names were worked out from uap-core's regexes.yaml; where ua-parser-js 1.x names the browser differently the
 * mapping layer must produce the uap-core name.
 */
const BROWSERS: ReadonlyArray<readonly [label: string, userAgent: string, family: string]> = [
  // Desktop browsers: the six names the reference rule excludes.
  [
    'Chrome on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Chrome',
  ],
  [
    'Chrome on macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Chrome',
  ],
  [
    'Chrome on Linux',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Chrome',
  ],
  [
    'Chrome on ChromeOS',
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Chrome',
  ],
  ['Firefox on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox'],
  [
    'Firefox on macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0',
    'Firefox',
  ],
  ['Firefox on Linux', 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox'],
  [
    'Safari on macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    'Safari',
  ],
  [
    'Safari on iPad in desktop mode (sends a Mac user agent)',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
    'Safari',
  ],
  [
    'Edge on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    'Edge',
  ],
  [
    'Edge on macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    'Edge',
  ],
  [
    'legacy EdgeHTML Edge on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582',
    'Edge',
  ],
  [
    'Opera on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
    'Opera',
  ],
  [
    'Opera on macOS',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
    'Opera',
  ],
  [
    'Opera on Linux',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
    'Opera',
  ],
  ['Opera (Presto) on Windows', 'Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18', 'Opera'],
  [
    'Brave with an explicit brave/ token',
    'Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) brave/0.7.10 Chrome/47.0.2526.110 Brave/0.36.5 Safari/537.36',
    'Brave',
  ],
  [
    'Brave without a brave token (identical to Chrome, so it is Chrome)',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Chrome',
  ],
  [
    'Chrome on an Android tablet (no Mobile token: uap-core says plain Chrome)',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Chrome',
  ],
  // Mobile and automated browsers: not among the reference rule's names, so they must not collapse into them.
  [
    'Chrome on Android phone',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
    'Chrome Mobile',
  ],
  [
    'old Chrome for Android (CrMo)',
    'Mozilla/5.0 (Linux; U; Android-4.0.3; en-us; Galaxy Nexus Build/IML74K) AppleWebKit/535.7 (KHTML, like Gecko) CrMo/16.0.912.75 Mobile Safari/535.7',
    'Chrome Mobile',
  ],
  [
    'Chrome on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
    'Chrome Mobile iOS',
  ],
  [
    'Chrome on iPad',
    'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
    'Chrome Mobile iOS',
  ],
  [
    'Android WebView',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.119 Mobile Safari/537.36',
    'Chrome Mobile WebView',
  ],
  [
    'Android WebView without the wv marker',
    'Mozilla/5.0 (Linux; Android 5.1.1; Nexus 5 Build/LMY48B) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/43.0.2357.65 Mobile Safari/537.36',
    'Chrome Mobile WebView',
  ],
  [
    'Firefox on Android phone',
    'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0',
    'Firefox Mobile',
  ],
  [
    'Firefox on Android tablet',
    'Mozilla/5.0 (Android 14; Tablet; rv:133.0) Gecko/133.0 Firefox/133.0',
    'Firefox Mobile',
  ],
  ['Fennec', 'Mozilla/5.0 (Android; Mobile; rv:40.0) Gecko/40.0 Firefox/40.0 Fennec/40.0', 'Firefox Mobile'],
  [
    'Firefox on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 14_7_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15',
    'Firefox iOS',
  ],
  ['Firefox beta build', 'Mozilla/5.0 (Windows NT 6.1; WOW64; rv:2.0b8) Gecko/20100101 Firefox/4.0b8', 'Firefox Beta'],
  [
    'Edge on Android',
    'Mozilla/5.0 (Linux; Android 10; HD1913) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36 EdgA/131.0.2903.49',
    'Edge Mobile',
  ],
  [
    'Edge on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/131.2903.50 Mobile/15E148 Safari/605.1.15',
    'Edge Mobile',
  ],
  [
    'Edge on Windows Phone',
    'Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.14977',
    'Edge Mobile',
  ],
  [
    'Opera on Android',
    'Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0',
    'Opera Mobile',
  ],
  [
    'Safari on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
    'Mobile Safari',
  ],
  [
    'Safari on iPad',
    'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
    'Mobile Safari',
  ],
  [
    'in-app WKWebView on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
    'Mobile Safari UI/WKWebView',
  ],
  [
    'HeadlessChrome on Linux',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
    'HeadlessChrome',
  ],
  [
    'HeadlessChrome on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.28 Safari/537.36',
    'HeadlessChrome',
  ],
  [
    'Chromium on Ubuntu',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Ubuntu Chromium/79.0.3945.79 Chrome/79.0.3945.79 Safari/537.36',
    'Chromium',
  ],
  // Other Chromium browsers keep their own family.
  [
    'Samsung Internet',
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
    'Samsung Internet',
  ],
  [
    'Vivaldi',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Vivaldi/7.0.3495.18',
    'Vivaldi',
  ],
  [
    'Yandex Browser',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 YaBrowser/24.12.0.0 Safari/537.36',
    'Yandex Browser',
  ],
  [
    'Amazon Silk',
    'Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/131.4.1 like Chrome/131.0.6778.200 Safari/537.36',
    'Amazon Silk',
  ],
];

/** Agents that are not browsers: no family at all. */
const NOT_BROWSERS: ReadonlyArray<readonly [label: string, userAgent: string]> = [
  [
    'aws-cli v2',
    'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22 prompt/off command/secretsmanager.get-secret-value',
  ],
  [
    'aws-cli v2 in CloudShell',
    'aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.164.amzn2023.x86_64 exec-env/CloudShell exe/x86_64.amzn.2023 prompt/off command/secretsmanager.get-secret-value',
  ],
  ['aws-cli v1', 'aws-cli/1.32.69 Python/3.12.2 Darwin/23.4.0 botocore/1.34.69'],
  [
    'Boto3 with Botocore (new format)',
    'Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69',
  ],
  ['Boto3 with Botocore (old format)', 'Boto3/1.26.0 Python/3.9.16 Linux/5.10.0 Botocore/1.29.0'],
  [
    'aws-sdk-java v2',
    'aws-sdk-java/2.25.16 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy',
  ],
  [
    'aws-sdk-java v1',
    'aws-sdk-java/1.12.681 Linux/5.10.0 OpenJDK_64-Bit_Server_VM/11.0.22+7-LTS java/11.0.22 vendor/Amazon.com_Inc.',
  ],
  [
    'aws-sdk-go-v2',
    'aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/secretsmanager#1.28.4',
  ],
  ['aws-sdk-go v1', 'aws-sdk-go/1.51.6 (go1.22.1; linux; amd64)'],
  ['aws-sdk-js v3 (template)', 'aws-sdk-js/3.x ua/2.1 os/linux lang/js md/nodejs#20 api/secrets-manager#3.x'],
  ['aws-sdk-js v3', 'aws-sdk-js/3.540.0 ua/2.1 os/linux lang/js md/nodejs#20.11.1 api/secrets-manager#3.540.0'],
  ['aws-sdk-js v2 in Lambda', 'aws-sdk-nodejs/2.1580.0 linux/v18.19.1 exec-env/AWS_Lambda_nodejs18.x'],
  [
    'Terraform AWS provider',
    'APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/secretsmanager#1.28.4',
  ],
  [
    'AWS console back end (S3 console)',
    '[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.186-157.751.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b09 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard]',
  ],
  ['AWS Internal', 'AWS Internal'],
  ['console.amazonaws.com', 'console.amazonaws.com'],
  ['signin.amazonaws.com', 'signin.amazonaws.com'],
  ['a service acting for the caller', 'secretsmanager.amazonaws.com'],
  ['Stratus Red Team custom agent', 'stratus-red-team_10e7edf3-5063-4eba-8842-68f83bb52d65'],
  ['curl', 'curl/8.5.0'],
  ['python-requests', 'python-requests/2.31.0'],
  ['empty string', ''],
  ['whitespace only', '   '],
];

describe('browserFamily', () => {
  it.each(BROWSERS)('names %s as uap-core does', (_label, userAgent, family) => {
    // Prepare / Act
    const result = browserFamily(userAgent);
    // Assess
    expect(result).toBe(family);
  });

  it.each(NOT_BROWSERS)('gives no browser family for %s', (_label, userAgent) => {
    // Prepare / Act
    const result = browserFamily(userAgent);
    // Assess
    expect(result).toBeUndefined();
  });

  it('returns the same answer from the cache as from a fresh parse', () => {
    // Prepare
    const userAgents = [...BROWSERS.map(([, ua]) => ua), ...NOT_BROWSERS.map(([, ua]) => ua)];
    // Act
    const first = userAgents.map(browserFamily);
    const second = userAgents.map(browserFamily);
    // Assess
    expect(second).toEqual(first);
    expect(first).toEqual(userAgents.map(parseBrowserFamily));
  });

  it('keeps the cache bounded when many distinct agents arrive', () => {
    // Prepare
    const distinct = BROWSER_FAMILY_CACHE_LIMIT + 50;
    // Act
    for (let i = 0; i < distinct; i++) browserFamily(`aws-sdk-go-v2/1.26.${i} os/linux lang/go#1.22.1`);
    // Assess
    expect(browserFamilyCacheSize()).toBeLessThanOrEqual(BROWSER_FAMILY_CACHE_LIMIT);
    expect(browserFamily('aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1')).toBeUndefined();
  });

  it('parses only the first kilobyte of an over-long agent, quickly', () => {
    // Prepare: CloudTrail never logs more than 1 KB; a longer string (e.g. a hand-made replay file) is cut.
    const chrome =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    const padded = `${chrome}${' Mobile x'.repeat(100_000)}`;
    // Act
    const started = Date.now();
    const family = browserFamily(padded);
    // Assess: the " Mobile " padding lies past the cut, so this is still desktop Chrome.
    expect(family).toBe('Chrome');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
