/**
 * The few EC2 calls the moto-backed tests and the playground need (a VPC, two subnets, instances
 * to register as targets). No EC2 client is installed, and moto's EC2 query API takes plain form
 * posts, so these call it directly.
 */

async function ec2(
  endpoint: string,
  region: string,
  params: Record<string, string>,
): Promise<string> {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    body: new URLSearchParams({ Version: '2016-11-15', ...params }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto EC2 ${params.Action} failed: ${text}`);
  return text;
}

function xmlValues(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>(.*?)</${name}>`, 'g'))].map((m) => m[1]);
}

/** A VPC with a subnet in each of two availability zones, as a load balancer needs. */
export async function createMotoNetwork(
  endpoint: string,
  region: string,
): Promise<{ vpcId: string; subnets: string[] }> {
  const vpcId = xmlValues(
    await ec2(endpoint, region, { Action: 'CreateVpc', CidrBlock: '10.0.0.0/16' }),
    'vpcId',
  )[0];

  const subnets: string[] = [];
  for (const [i, zone] of ['a', 'b'].entries()) {
    const xml = await ec2(endpoint, region, {
      Action: 'CreateSubnet',
      VpcId: vpcId,
      CidrBlock: `10.0.${i}.0/24`,
      AvailabilityZone: `${region}${zone}`,
    });
    subnets.push(xmlValues(xml, 'subnetId')[0]);
  }
  return { vpcId, subnets };
}

/** `count` instances in `subnetId`, to register as targets; their instance ids. */
export async function runMotoInstances(
  endpoint: string,
  region: string,
  subnetId: string,
  count: number,
): Promise<string[]> {
  if (count === 0) return [];
  const xml = await ec2(endpoint, region, {
    Action: 'RunInstances',
    ImageId: 'ami-12c6146b',
    MinCount: String(count),
    MaxCount: String(count),
    SubnetId: subnetId,
  });
  return xmlValues(xml, 'instanceId');
}
